package buildinfo

import (
	"reflect"
	"strings"
	"testing"
)

func TestSanitizeBranch(t *testing.T) {
	long := strings.Repeat("ab", 100) // 200 characters
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"main", "main"},
		{"feature/login", "feature-login"},
		{"user/feature/x", "user-feature-x"},
		{"fix_bug_12", "fix_bug_12"},
		{"feature/Rpi_Tags", "feature-rpi_tags"}, // as the project's old CI
		{"owner:branch", "owner-branch"},
		{"Feature/ABC-123", "feature-abc-123"},
		{"release-1.2", "release-1.2"},
		{"café", "caf-"}, // one '-' per character, not per byte
		{"日本/ブランチ", ""},  // ...and leading '-' are dropped
		{"x日本", "x--"},
		{".hidden", "hidden"},
		{"--x", "x"},
		{"._-/x", "_--x"}, // a tag may start with '_'
		{"...", ""},
		{"a//b", "a--b"}, // runs of '-' stay
		{"a b\tc", "a-b-c"},
		{"v1.2.3", "v1.2.3"},
		{"dependabot/npm/@x/y", "dependabot-npm--x-y"},
		{long, long[:128]},
		{"-" + long, long[:128]}, // trimmed before cut
		{"_" + long, "_" + long[:127]},
		{strings.Repeat("é", 200), ""},
	}
	for _, tt := range tests {
		if got := SanitizeBranch(tt.in); got != tt.want {
			t.Errorf("SanitizeBranch(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := SanitizeBranch(tt.in); len(got) > 128 {
			t.Errorf("SanitizeBranch(%q) is %d characters long", tt.in, len(got))
		}
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		tag  string
		want *Version
		tags []string
	}{
		{"v1.2.3", &Version{Full: "1.2.3", Major: 1, Minor: 2, Patch: 3}, []string{"1.2.3", "1.2", "1"}},
		{"1.2.3", &Version{Full: "1.2.3", Major: 1, Minor: 2, Patch: 3}, []string{"1.2.3", "1.2", "1"}},
		{"v10.20.30", &Version{Full: "10.20.30", Major: 10, Minor: 20, Patch: 30}, []string{"10.20.30", "10.20", "10"}},
		{"v1.2.3-rc.1", &Version{Full: "1.2.3-rc.1", Major: 1, Minor: 2, Patch: 3, Prerelease: "rc.1"}, []string{"1.2.3-rc.1"}},
		{"1.0.0-alpha-beta.0", &Version{Full: "1.0.0-alpha-beta.0", Major: 1, Prerelease: "alpha-beta.0"}, []string{"1.0.0-alpha-beta.0"}},
		{"v1.2.3+build.5", &Version{Full: "1.2.3", Major: 1, Minor: 2, Patch: 3, Metadata: "build.5"}, []string{"1.2.3", "1.2", "1"}},
		{"1.2.3-rc.1+b", &Version{Full: "1.2.3-rc.1", Major: 1, Minor: 2, Patch: 3, Prerelease: "rc.1", Metadata: "b"}, []string{"1.2.3-rc.1"}},
		{"v1.2.3+build.007", &Version{Full: "1.2.3", Major: 1, Minor: 2, Patch: 3, Metadata: "build.007"}, []string{"1.2.3", "1.2", "1"}},
		{"v0.4.1", &Version{Full: "0.4.1", Minor: 4, Patch: 1}, []string{"0.4.1", "0.4"}},
		{"0.0.3", &Version{Full: "0.0.3", Patch: 3}, []string{"0.0.3", "0.0"}},
		{"v0.4.1-beta", &Version{Full: "0.4.1-beta", Minor: 4, Patch: 1, Prerelease: "beta"}, []string{"0.4.1-beta"}},
		{"v1.2", nil, nil},
		{"v1", nil, nil},
		{"1.2.3.4", nil, nil},
		{"v01.2.3", nil, nil},
		{"v1.02.3", nil, nil},
		{"v1.2.03", nil, nil},
		{"v1.2.3-01", nil, nil}, // numeric pre-release with a leading zero
		{"v1.2.3-", nil, nil},
		{"v1.2.3-rc..1", nil, nil},
		{"v1.2.3+", nil, nil},
		{"v1.2.3+a_b", nil, nil},
		{"v1.2.3-rc_1", nil, nil},
		{"vv1.2.3", nil, nil},
		{"V1.2.3", nil, nil},
		{"v-1.2.3", nil, nil},
		{"v1.2.x", nil, nil},
		{"v1.2.3 ", nil, nil},
		{"v99999999999999999999.0.0", nil, nil},
		{"release-3", nil, nil},
		{"latest", nil, nil},
		{"", nil, nil},
	}
	for _, tt := range tests {
		got := ParseVersion(tt.tag)
		if tt.want != nil {
			tt.want.Scheme = SchemeSemver
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseVersion(%q) = %+v, want %+v", tt.tag, got, tt.want)
			continue
		}
		if tags := got.Tags(); !reflect.DeepEqual(tags, tt.tags) {
			t.Errorf("ParseVersion(%q).Tags() = %q, want %q", tt.tag, tags, tt.tags)
		}
		if pre := got.IsPrerelease(); pre != (tt.want != nil && tt.want.Prerelease != "") {
			t.Errorf("ParseVersion(%q).IsPrerelease() = %v", tt.tag, pre)
		}
	}
}

func TestIsPrerelease(t *testing.T) {
	if ParseVersion("1.2.3").IsPrerelease() {
		t.Error("1.2.3 is a pre-release")
	}
	if !ParseVersion("1.2.3-rc.1").IsPrerelease() {
		t.Error("1.2.3-rc.1 is not a pre-release")
	}
	if ParseVersion("1.2.3+rc.1").IsPrerelease() {
		t.Error("1.2.3+rc.1 (build metadata) is a pre-release")
	}
	var nilV *Version
	if nilV.IsPrerelease() || nilV.Tags() != nil {
		t.Error("a nil Version is a pre-release or has tags")
	}
}

func TestCompareVersions(t *testing.T) {
	// In increasing precedence, from the semver specification's example
	// and beyond.
	order := []string{
		"0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
		"1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
		"1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0-rc.1", "2.0.0",
	}
	for i, a := range order {
		for j, b := range order {
			want := sign(i - j)
			if got := compareVersions(ParseVersion(a), ParseVersion(b)); got != want {
				t.Errorf("compareVersions(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	if got := compareVersions(ParseVersion("1.0.0+a"), ParseVersion("1.0.0+b")); got != 0 {
		t.Errorf("build metadata counts in precedence: %d", got)
	}
}

func TestPickTag(t *testing.T) {
	tests := []struct {
		tags []string
		want string
	}{
		{nil, ""},
		{[]string{"latest"}, "latest"},
		{[]string{"zeta", "alpha"}, "alpha"},
		{[]string{"latest", "v1.2.3"}, "v1.2.3"},
		{[]string{"v1.9.9", "v1.10.0", "v1.2.3"}, "v1.10.0"},
		{[]string{"v2.0.0-rc.1", "v1.9.0"}, "v2.0.0-rc.1"},
		{[]string{"v1.0.0-rc.1", "v1.0.0"}, "v1.0.0"},
		{[]string{"v1.2.3", "1.2.3"}, "1.2.3"}, // a tie: first in order
		{[]string{"v1.2", "release-3"}, "release-3"},
	}
	for _, tt := range tests {
		if got := pickTag(append([]string(nil), tt.tags...)); got != tt.want {
			t.Errorf("pickTag(%q) = %q, want %q", tt.tags, got, tt.want)
		}
	}
}
