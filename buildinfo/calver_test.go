package buildinfo

import (
	"reflect"
	"testing"
)

func TestParseRelease(t *testing.T) {
	tests := []struct {
		tag    string
		scheme string // "" for no release
		full   string
		tags   []string
	}{
		{"2026.07.2", SchemeCalVer, "2026.07.2", []string{"2026.07.2", "2026.07", "2026"}},
		{"v2026.07.2", SchemeCalVer, "2026.07.2", []string{"2026.07.2", "2026.07", "2026"}},
		// Also valid semver, but a year and a month: CalVer.
		{"2026.7.14", SchemeCalVer, "2026.7.14", []string{"2026.7.14", "2026.7", "2026"}},
		{"2026.12.0", SchemeCalVer, "2026.12.0", []string{"2026.12.0", "2026.12", "2026"}},
		{"v1.2.3", SchemeSemver, "1.2.3", []string{"1.2.3", "1.2", "1"}},
		{"2026.13.1", "", "", nil},  // no month 13
		{"2026.00.1", "", "", nil},  // no month 0
		{"2026.07", "", "", nil},    // two parts
		{"2026.07.02", "", "", nil}, // a padded micro
		{"0999.07.1", "", "", nil},
		// A pre-release is a release of its scheme, published under
		// itself alone: the month, the year and latest follow releases.
		{"2026.07.2-rc.1", SchemeCalVer, "2026.07.2-rc.1", []string{"2026.07.2-rc.1"}},
		{"v2026.12.1-rc.1", SchemeCalVer, "2026.12.1-rc.1", []string{"2026.12.1-rc.1"}},
		// Semver would read this one; a year and a month still say CalVer.
		{"2026.7.14-beta", SchemeCalVer, "2026.7.14-beta", []string{"2026.7.14-beta"}},
		// Build metadata is never part of a tag, as in semver.
		{"2026.07.2+ci.5", SchemeCalVer, "2026.07.2", []string{"2026.07.2", "2026.07", "2026"}},
		{"2026.07.2-rc.1+ci.5", SchemeCalVer, "2026.07.2-rc.1", []string{"2026.07.2-rc.1"}},
		{"2026.07.2-", "", "", nil},
		{"2026.07.2-rc..1", "", "", nil},
		{"2026.07.2-rc.01", "", "", nil}, // a padded number, as semver forbids
		{"2026.07.2+", "", "", nil},
		{"2026.07-rc.1", "", "", nil},
		{"nightly", "", "", nil},
	}
	for _, tt := range tests {
		v := ParseRelease(tt.tag)
		if tt.scheme == "" {
			// 2026.13.1 is semver major 2026; that is not this test's
			// concern, only that it is no CalVer.
			if v != nil && v.Scheme == SchemeCalVer {
				t.Errorf("ParseRelease(%q) = %+v, want no CalVer release", tt.tag, v)
			}
			continue
		}
		if v == nil {
			t.Errorf("ParseRelease(%q) = nil, want %s %s", tt.tag, tt.scheme, tt.full)
			continue
		}
		if v.Scheme != tt.scheme || v.Full != tt.full || !reflect.DeepEqual(v.Tags(), tt.tags) {
			t.Errorf("ParseRelease(%q) = %s %s tags %q, want %s %s tags %q", tt.tag, v.Scheme, v.Full, v.Tags(), tt.scheme, tt.full, tt.tags)
		}
	}
}

// The highest release is looked up in the scheme of the build's tag: a
// repository that moved from semver to CalVer has both.
func TestHighestReleaseByScheme(t *testing.T) {
	tags := []string{"v1.4.0", "v1.9.1", "2026.06.1", "2026.07.2", "2026.07.10", "2026.07.11-rc.1", "nightly"}
	for _, tt := range []struct{ tag, want string }{
		{"2026.07.2", "2026.07.10"},
		{"2026.07.11-rc.1", "2026.07.10"}, // CalVer, and no pre-release is highest
		{"v1.9.1", "1.9.1"},
		{"", "2026.07.10"},        // no release: CalVer, once the repository has it
		{"nightly", "2026.07.10"}, // likewise
	} {
		if got := highestRelease(tags, releaseScheme(tt.tag, tags)); got != tt.want {
			t.Errorf("tag %q: highest release %q, want %q", tt.tag, got, tt.want)
		}
	}
	if got := highestRelease([]string{"v1.0.0"}, releaseScheme("", []string{"v1.0.0"})); got != "1.0.0" {
		t.Errorf("semver only: %q", got)
	}
}

// A CalVer build compares within CalVer: latest follows the highest
// CalVer release, whatever the older semver tags say.
func TestLatestCalVer(t *testing.T) {
	for _, tt := range []struct {
		tag, highest string
		latest       bool
	}{
		{"2026.07.2", "2026.07.2", true},
		{"2026.07.2", "2026.07.10", false}, // numbers, not strings
		{"2026.07.10", "2026.07.2", true},
		{"2026.07.11-rc.1", "2026.07.10", false}, // a pre-release never
		{"2026.07.11-rc.1", "", false},
		{"2026.07.2", "1.9.1", true}, // another scheme does not count
		{"v1.9.1", "2026.07.2", true},
	} {
		i := Info{Tag: tt.tag, HighestRelease: tt.highest}
		i.derive()
		if i.Latest != tt.latest {
			t.Errorf("tag %s, highest %s: latest %v, want %v", tt.tag, tt.highest, i.Latest, tt.latest)
		}
	}
}

func TestIsCalVerTag(t *testing.T) {
	for tag, want := range map[string]bool{
		"2026.07.2": true, "2026.7.14": true, "2026.07": true, "2026.7": true, "2026": true,
		"v2026.07.2": false, "2026.13": false, "2026.0": false, "0226": false, "202": false,
		"2026.07.02": false, "2026.07.2-rc.1": true, "2026.07-rc.1": false, "2026-rc.1": false, "2026.x": false, "latest": false, "1.2.3": false,
	} {
		if got := IsCalVerTag(tag); got != want {
			t.Errorf("IsCalVerTag(%q) = %v, want %v", tag, got, want)
		}
	}
}

// Pre-releases come before their release, and in semver's order among
// themselves.
func TestCompareCalVer(t *testing.T) {
	order := []string{"2026.07.2-alpha", "2026.07.2-rc.1", "2026.07.2-rc.2", "2026.07.2-rc.10", "2026.07.2", "2026.07.3-rc.1", "2026.07.10", "2026.8.1-rc.1"}
	for i := range order {
		for j := range order {
			a, b := ParseCalVer(order[i]), ParseCalVer(order[j])
			if a == nil || b == nil {
				t.Fatalf("%s or %s is no CalVer", order[i], order[j])
			}
			if got, want := compareVersions(a, b), sign(i-j); got != want {
				t.Errorf("compareVersions(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}
