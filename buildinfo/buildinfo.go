// Package buildinfo finds what a build is: the git state of the repository
// and the variables of the CI system running it, and the tags that follow
// from them (a branch name made a tag, a release version expanded).
package buildinfo

import "encoding/json"

// Info is the build context bricklayer injects into a spec as `build`.
// Its JSON form is what the spec sees; the schema's #Build mirrors it.
type Info struct {
	Branch        string   `json:"branch"`
	BranchTag     string   `json:"branchTag"` // SanitizeBranch(Branch)
	Tag           string   `json:"tag"`       // git tag of the commit, e.g. v1.2.3
	SHA           string   `json:"sha"`
	ShortSHA      string   `json:"shortSha"` // first 7 characters of SHA
	Describe      string   `json:"describe"` // git describe --tags --always --dirty
	Dirty         bool     `json:"dirty"`
	CommitTime    int64    `json:"commitTime"` // Unix seconds of the commit; 0 unknown
	DefaultBranch string   `json:"defaultBranch"`
	PullRequest   string   `json:"pullRequest"` // number, for pull/merge-request builds
	CI            string   `json:"ci"`          // github, gitlab, azure, jenkins, buildkite or ""
	Date          string   `json:"date"`        // YYYY-MM-DD of the build, for alias expiry
	Version       *Version `json:"version"`     // Tag read as a release (semver or CalVer); nil unless one
	// HighestRelease is the highest release (not pre-release) among the
	// repository's tags of the build tag's scheme (releaseScheme), e.g.
	// 2.0.1; "" when git shows none.
	HighestRelease string `json:"highestRelease"`
	// Latest is set on a release build that is not a pre-release and is
	// at least HighestRelease: a v1.9.1 released after v2.0.1 is not.
	// Without the other tags (a shallow clone), every release is.
	Latest bool `json:"latest"`
	// Source is the repository's web address, from git's origin remote
	// (an ssh remote made https, credentials and .git dropped); "" when
	// unknown. It is the default org.opencontainers.image.source.
	Source string `json:"source"`
	// Vars are values a pipeline passes in (--context var.NAME=VALUE),
	// read by the spec as build.vars.NAME.
	Vars Vars `json:"vars"`
}

// Vars are the build context's free values, by name.
type Vars map[string]string

// MarshalJSON writes no vars as {}, not null, so that a spec's
// build.vars.NAME is a missing field rather than a field of null.
func (v Vars) MarshalJSON() ([]byte, error) {
	if v == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]string(v))
}

// Version is a release tag parsed as semver or CalVer (a leading v is
// allowed). A CalVer release's Major, Minor and Patch are its year,
// month and third number.
type Version struct {
	Scheme     string `json:"scheme"` // SchemeSemver or SchemeCalVer
	Full       string `json:"full"`   // 1.2.3-rc.1: without the v and build metadata
	Major      int    `json:"major"`
	Minor      int    `json:"minor"`
	Patch      int    `json:"patch"`
	Prerelease string `json:"prerelease"` // rc.1
	Metadata   string `json:"metadata"`   // build metadata after +
}
