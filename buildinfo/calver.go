package buildinfo

import (
	"strconv"
	"strings"
)

// The version schemes a release tag is read in (Version.Scheme).
const (
	SchemeSemver = "semver"
	SchemeCalVer = "calver"
)

// ParseRelease reads a git tag as a release: CalVer first, then semver;
// nil when neither reads it. 2026.7.14 is valid semver too, but a year
// and a month say CalVer, and no project's semver major is a year.
func ParseRelease(tag string) *Version {
	if v := ParseCalVer(tag); v != nil {
		return v
	}
	return ParseVersion(tag)
}

// ParseCalVer reads a tag as calendar versioning, in the one form
// bricklayer knows: YYYY.MM.N with an optional leading v, where YYYY is
// a year of four digits, MM a month 1 to 12 written with or without a
// leading zero (2026.07.2, 2026.7.2), and N a number without leading
// zeros (a day, or a count within the month). This covers CalVer's
// YYYY.MM.MICRO, YYYY.0M.MICRO and YYYY.M.D. A pre-release and build
// metadata follow as in semver (2026.07.2-rc.1, 2026.07.2+ci.5): a
// pre-release is a release of CalVer that takes no moving tag. Anything
// else, such as 2026.07, is nil. Full keeps the tag as written (less the
// v and metadata), so published tags match the project's own spelling.
func ParseCalVer(tag string) *Version {
	var v Version
	s, ok := v.cutSuffixes(strings.TrimPrefix(tag, "v"))
	if !ok {
		return nil
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[0]) != 4 || parts[0][0] == '0' || len(parts[1]) > 2 || !isNumeric(parts[2]) {
		return nil
	}
	year, err1 := strconv.Atoi(parts[0])
	month, err2 := strconv.Atoi(parts[1])
	micro, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || !allDigits(parts[0]+parts[1]) || month < 1 || month > 12 {
		return nil
	}
	v.Scheme, v.Major, v.Minor, v.Patch = SchemeCalVer, year, month, micro
	v.setFull(s)
	return &v
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// calverTags are a CalVer release's tags: itself, its month and its
// year (2026.07.2, 2026.07, 2026), each as the release writes them, so
// the month's and the year's tags follow the newest release in them.
func (v *Version) calverTags() []string {
	year, month, _ := strings.Cut(v.Full, ".")
	month, _, _ = strings.Cut(month, ".")
	return []string{v.Full, year + "." + month, year}
}

// releaseScheme is the scheme the repository's highest release is
// looked up in: the tag's, else CalVer once the repository has a CalVer
// release (projects move from semver to CalVer, not back), else semver.
func releaseScheme(tag string, tags []string) string {
	if v := ParseRelease(tag); v != nil {
		return v.Scheme
	}
	for _, t := range tags {
		if ParseCalVer(t) != nil {
			return SchemeCalVer
		}
	}
	return SchemeSemver
}

// IsCalVerTag tells whether t is of a form a CalVer release is published
// under (Tags): a release or pre-release as written without its v
// (2026.07.2, 2026.07.2-rc.1), its month (2026.07, 2026.7) or its year
// (2026).
func IsCalVerTag(t string) bool {
	if strings.HasPrefix(t, "v") || strings.Contains(t, "+") {
		return false
	}
	if strings.Contains(t, "-") {
		return ParseCalVer(t) != nil
	}
	year, month, hasMonth := strings.Cut(t, ".")
	if !hasMonth {
		return len(year) == 4 && year[0] != '0' && allDigits(year)
	}
	if strings.Contains(month, ".") {
		return ParseCalVer(t) != nil
	}
	// A month alone reads as the release of its first micro would.
	return ParseCalVer(year+"."+month+".0") != nil
}
