package buildinfo

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestSet(t *testing.T) {
	// base is a detected context every case starts from.
	base := func() Info {
		i := Info{
			Branch: "main", Tag: "v1.0.0", SHA: sha1, Describe: "v1.0.0", DefaultBranch: "main",
			PullRequest: "3", CI: "github", Date: "2025-03-05",
		}
		i.derive()
		return i
	}
	tests := []struct {
		key, value string
		edit       func(*Info) // the expected change to base
	}{
		{"branch", "Feature/X", func(i *Info) { i.Branch, i.BranchTag = "Feature/X", "feature-x" }},
		{"branch", "", func(i *Info) { i.Branch, i.BranchTag = "", "" }},
		{"tag", "v2.1.0-rc.2", func(i *Info) { i.Tag, i.Version, i.Latest = "v2.1.0-rc.2", ParseVersion("2.1.0-rc.2"), false }},
		{"tag", "nightly", func(i *Info) { i.Tag, i.Version, i.Latest = "nightly", nil, false }},
		// A release below the repository's highest is not the latest.
		{"highestRelease", "2.0.1", func(i *Info) { i.HighestRelease, i.Latest = "2.0.1", false }},
		{"highestRelease", "0.9.0", func(i *Info) { i.HighestRelease = "0.9.0" }},
		{"sha", sha2, func(i *Info) { i.SHA, i.ShortSHA = sha2, "fedcba9" }},
		{"sha", strings.ToUpper(sha2), func(i *Info) { i.SHA, i.ShortSHA = sha2, "fedcba9" }},
		{"describe", "v1.0.0-3-gabcdef0", func(i *Info) { i.Describe = "v1.0.0-3-gabcdef0" }},
		{"dirty", "true", func(i *Info) { i.Dirty = true }},
		{"dirty", "false", func(i *Info) {}},
		{"defaultBranch", "trunk", func(i *Info) { i.DefaultBranch = "trunk" }},
		{"defaultbranch", "trunk", func(i *Info) { i.DefaultBranch = "trunk" }},
		{"pullRequest", "123", func(i *Info) { i.PullRequest = "123" }},
		{"pullRequest", "", func(i *Info) { i.PullRequest = "" }},
		{"ci", "circleci", func(i *Info) { i.CI = "circleci" }},
		{"date", "2024-02-29", func(i *Info) { i.Date = "2024-02-29" }},
	}
	for _, tt := range tests {
		got, want := base(), base()
		tt.edit(&want)
		if err := got.Set(tt.key, tt.value); err != nil {
			t.Errorf("Set(%q, %q): %v", tt.key, tt.value, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Set(%q, %q) =\n%+v\nwant\n%+v", tt.key, tt.value, got, want)
		}
	}

	// Dirty true then false really clears it.
	i := base()
	if err := i.Set("dirty", "true"); err != nil || !i.Dirty {
		t.Fatalf("Set(dirty, true): %v, Dirty = %v", err, i.Dirty)
	}
	if err := i.Set("dirty", "false"); err != nil || i.Dirty {
		t.Errorf("Set(dirty, false): %v, Dirty = %v", err, i.Dirty)
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		key, value string
		want       string // in the error
	}{
		{"", "x", "unknown build context key"},
		{"bogus", "x", "unknown build context key"},
		{"shortSha", "abc1234", "unknown build context key"}, // derived, not settable
		{"version", "1.2.3", "unknown build context key"},
		{"dirty", "maybe", "true or false"},
		{"dirty", "1", "true or false"},
		{"dirty", "", "true or false"},
		{"date", "2025-3-5", "YYYY-MM-DD"},
		{"date", "2025-02-30", "YYYY-MM-DD"},
		{"date", "05/03/2025", "YYYY-MM-DD"},
		{"date", "", "YYYY-MM-DD"},
		{"sha", "HEAD", "hexadecimal"},
		{"sha", "abc", "hexadecimal"},
		{"pullRequest", "false", "pull request number"},
	}
	for _, tt := range tests {
		i := Info{Date: "2025-03-05", Branch: "main"}
		i.derive()
		before := i
		err := i.Set(tt.key, tt.value)
		if err == nil {
			t.Errorf("Set(%q, %q) succeeded", tt.key, tt.value)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) {
			t.Errorf("Set(%q, %q) = %q, want it to say %q", tt.key, tt.value, msg, tt.want)
		}
		// Every error lists the keys, so a user can fix the flag.
		if !strings.Contains(msg, contextKeys) {
			t.Errorf("Set(%q, %q) = %q, which does not list the keys", tt.key, tt.value, msg)
		}
		if !reflect.DeepEqual(i, before) {
			t.Errorf("Set(%q, %q) failed but changed the context to %+v", tt.key, tt.value, i)
		}
	}
}

// --context var.NAME=VALUE passes any value a pipeline computes; the
// spec reads it as build.vars.NAME.
func TestSetVars(t *testing.T) {
	var i Info
	for _, kv := range [][2]string{{"var.UPSTREAM_VERSION", "1.27.3"}, {"VAR.flavour", "alpine"}, {"var.UPSTREAM_VERSION", "1.27.4"}, {"var.empty", ""}} {
		if err := i.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("Set(%q, %q): %v", kv[0], kv[1], err)
		}
	}
	want := Vars{"UPSTREAM_VERSION": "1.27.4", "flavour": "alpine", "empty": ""}
	if !reflect.DeepEqual(i.Vars, want) {
		t.Errorf("Vars = %v, want %v", i.Vars, want)
	}
	for _, key := range []string{"var.", "var.1x", "var.a-b", "var.a.b", "var.é", "var._hidden"} {
		err := i.Set(key, "x")
		if err == nil || !strings.Contains(err.Error(), "identifier") {
			t.Errorf("Set(%q): %v, want an error about identifiers", key, err)
		}
	}
	// No vars is {} to the spec, so build.vars.X is a missing field, not
	// a reference into null.
	b, err := json.Marshal(Info{})
	if err != nil || !strings.Contains(string(b), `"vars":{}`) {
		t.Errorf("Info{} = %s (%v), want vars {}", b, err)
	}
}
