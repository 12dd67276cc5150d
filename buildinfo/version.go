package buildinfo

import (
	"strconv"
	"strings"
)

// ParseVersion parses a git tag as a semver release version: "v1.2.3",
// "1.2.3", "v1.2.3-rc.1", "v1.2.3+build.5", "1.2.3-rc.1+b". It returns nil
// for anything that is not a full MAJOR.MINOR.PATCH semver (e.g. "v1.2",
// "release-3", "latest"), so such a tag is not a release.
//
// The grammar is Semantic Versioning 2.0.0, strictly: no leading zeros in
// numeric parts, no empty identifiers. It is parsed here rather than with
// golang.org/x/mod/semver because that package accepts the shorthands
// "v1" and "v1.2" (as v1.0.0, v1.2.0), which must not count as releases,
// and requires the v that plain "1.2.3" tags lack.
func ParseVersion(tag string) *Version {
	var v Version
	s, ok := v.cutSuffixes(strings.TrimPrefix(tag, "v"))
	if !ok {
		return nil
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil
	}
	nums := [3]*int{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		if !isNumeric(p) {
			return nil
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil // out of range of int: no tag of ours is that big
		}
		*nums[i] = n
	}
	v.Scheme = SchemeSemver
	v.setFull(s)
	return &v
}

// cutSuffixes takes a version's pre-release (-rc.1) and build metadata
// (+b5) off s into v, as semver writes them; ok is false when either is
// malformed. CalVer releases take the same suffixes.
func (v *Version) cutSuffixes(s string) (core string, ok bool) {
	if i := strings.IndexByte(s, '+'); i >= 0 {
		v.Metadata = s[i+1:]
		if !validIdentifiers(v.Metadata, false) {
			return "", false
		}
		s = s[:i]
	}
	// The first '-' ends the core: numbers hold no '-', while
	// pre-release identifiers may ("rc-1").
	if i := strings.IndexByte(s, '-'); i >= 0 {
		v.Prerelease = s[i+1:]
		if !validIdentifiers(v.Prerelease, true) {
			return "", false
		}
		s = s[:i]
	}
	return s, true
}

// setFull sets Full from the core as written and the pre-release;
// build metadata is never part of a tag.
func (v *Version) setFull(core string) {
	v.Full = core
	if v.Prerelease != "" {
		v.Full += "-" + v.Prerelease
	}
}

// validIdentifiers reports whether s is a non-empty list of dot-separated
// identifiers of [0-9A-Za-z-]. Pre-release identifiers that are numbers
// may not have leading zeros (they compare numerically, so "01" would be
// ambiguous); build metadata may ("build.007").
func validIdentifiers(s string, prerelease bool) bool {
	if s == "" {
		return false
	}
	for id := range strings.SplitSeq(s, ".") {
		if id == "" {
			return false
		}
		digits := true
		for _, c := range []byte(id) {
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				digits = false
			default:
				return false
			}
		}
		if prerelease && digits && !isNumeric(id) {
			return false
		}
	}
	return true
}

// isNumeric reports whether s is a semver numeric identifier: digits
// without a leading zero, or "0".
func isNumeric(s string) bool {
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Tags are the tags a release yields: for 1.2.3 -> ["1.2.3", "1.2", "1"];
// for 0.4.1 -> ["0.4.1", "0.4"] (no "0": a 0.x major promises nothing);
// for a pre-release 1.2.3-rc.1 (or 2026.07.2-rc.1) -> itself only. Build metadata is
// never part of a tag ('+' is not valid in tags). A nil Version (not a
// release) yields no tags.
//
// A pre-release gets no "1.2" or "1": those follow the newest release of
// their line, and an rc is not one.
func (v *Version) Tags() []string {
	if v == nil {
		return nil
	}
	if v.IsPrerelease() {
		return []string{v.Full}
	}
	if v.Scheme == SchemeCalVer {
		return v.calverTags()
	}
	minor := strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor)
	tags := []string{v.Full, minor}
	if v.Major > 0 {
		tags = append(tags, strconv.Itoa(v.Major))
	}
	return tags
}

// IsPrerelease tells 1.2.3-rc.1 from 1.2.3.
func (v *Version) IsPrerelease() bool {
	return v != nil && v.Prerelease != ""
}

// compareVersions orders a and b by semver precedence: -1, 0 or +1.
// Build metadata does not count, as semver says.
func compareVersions(a, b *Version) int {
	for _, d := range [3]int{a.Major - b.Major, a.Minor - b.Minor, a.Patch - b.Patch} {
		if d != 0 {
			return sign(d)
		}
	}
	switch {
	case a.Prerelease == b.Prerelease:
		return 0
	case a.Prerelease == "":
		return 1 // 1.2.3 follows 1.2.3-rc.1
	case b.Prerelease == "":
		return -1
	}
	as, bs := strings.Split(a.Prerelease, "."), strings.Split(b.Prerelease, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if c := compareIdentifiers(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return sign(len(as) - len(bs))
}

// compareIdentifiers orders two pre-release identifiers: numbers
// numerically and before words, words in ASCII order.
func compareIdentifiers(a, b string) int {
	an, bn := isNumeric(a), isNumeric(b)
	switch {
	case an && bn:
		// No leading zeros, so the longer number is the larger; this
		// also holds for numbers too big for an int.
		if len(a) != len(b) {
			return sign(len(a) - len(b))
		}
		return strings.Compare(a, b)
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
