package spec

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/buildinfo"
)

// parseWith parses src as a spec for the build context info.
func parseWith(t *testing.T, src string, info *buildinfo.Info) (*Spec, error) {
	t.Helper()
	return Parse(filepath.Join(t.TempDir(), FileName), []byte(src), WithBuild(info))
}

// A branch tag cut to 128 characters still gets its alias: shortened
// the same way, deterministic, and distinct for branches that differ
// only past the cut.
func TestLongBranchAlias(t *testing.T) {
	const src = `policy: branch: true
aliases: [{prefix: "rpi-"}]
images: a: {repository: "ghcr.io/acme/a", from: "scratch"}
`
	aliasOf := func(branch string) string {
		t.Helper()
		info := &buildinfo.Info{Date: "2026-01-01"}
		if err := info.Set("branch", branch); err != nil {
			t.Fatal(err)
		}
		s, err := parseWith(t, src, info)
		if err != nil {
			t.Fatalf("branch of %d characters: %v", len(branch), err)
		}
		al := s.Images["a"].AliasTags
		if len(al) != 1 {
			t.Fatalf("aliases %q, want one", al)
		}
		return al[0]
	}
	long := "feature/" + strings.Repeat("x", 116) // 128 with -one
	a1 := aliasOf(long + "-one")
	a2 := aliasOf(long + "-two")
	for _, a := range []string{a1, a2} {
		if len(a) > 128 || !strings.HasPrefix(a, "rpi-feature-xxx") || !validTag(a) {
			t.Errorf("alias %q (%d characters): want a valid tag of at most 128 starting rpi-feature-", a, len(a))
		}
	}
	if a1 == a2 {
		t.Errorf("two branches share the alias %q", a1)
	}
	if again := aliasOf(long + "-one"); again != a1 {
		t.Errorf("alias %q, then %q: not deterministic", a1, again)
	}
	// A short one is untouched.
	if a := aliasOf("main"); a != "rpi-main" {
		t.Errorf("alias of main = %q, want rpi-main", a)
	}
}
