package spec

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/distribution/reference"

	"github.com/bricklayer-build/bricklayer/buildinfo"
)

// FuzzTags computes tag policies and aliases over arbitrary build
// contexts: every tag a loaded spec publishes is a valid tag of its
// repository, and every refusal has a position in the file.
func FuzzTags(f *testing.F) {
	f.Add("main", "v1.2.3", "0123456789abcdef0123456789abcdef01234567", "", "main", "rpi-", "", "latest", true, true, true, true)
	f.Add("feature/New_UI", "", "abcdef1", "42", "main", "", "-arm", "", true, false, true, true)
	f.Add("", "v0.4.1-rc.1+build.5", "", "", "", "x", "", "stable", false, true, false, false)
	f.Add("-.-", "1.2", "", "", "", ".", "", "", true, true, true, true)
	f.Add("a/../b", "v99999999999999999999.0.0", "", "7", "", "p-", "-s", "-bad", true, true, true, true)
	f.Fuzz(func(t *testing.T, branch, tag, sha, pr, defaultBranch, prefix, suffix, moving string, pBranch, pSemver, pSHA, pPR bool) {
		info := &buildinfo.Info{Date: "2026-01-01"}
		for _, kv := range [][2]string{{"branch", branch}, {"tag", tag}, {"sha", sha}, {"pullRequest", pr}, {"defaultBranch", defaultBranch}} {
			if info.Set(kv[0], kv[1]) != nil {
				return // refused at the command line, never reaches a spec
			}
		}
		src := fmt.Sprintf(`images: a: {
	repository: "ghcr.io/acme/a"
	from:       "scratch"
	tags: [if build.branch == build.defaultBranch && build.branch != "" {"edge"}]
	policy: {branch: %t, semver: %t, sha: %t, pullRequest: %t, moving: %s}
	aliases: [{prefix: %s, suffix: %s}]
}
`, pBranch, pSemver, pSHA, pPR, strconv.Quote(moving), strconv.Quote(prefix), strconv.Quote(suffix))
		file := filepath.Join(t.TempDir(), FileName)
		s, err := Parse(file, []byte(src), WithBuild(info))
		if err != nil {
			for _, d := range Diagnostics(err) {
				if d.File == "" || d.Line < 1 || d.Col < 1 {
					t.Errorf("error without a position: %s\nspec:\n%s", d, src)
				}
			}
			return
		}
		im := s.Images["a"]
		repo, err := reference.ParseNormalizedNamed(im.Repository)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, tg := range im.AllTags() {
			if !validTag(tg) {
				t.Errorf("invalid tag %q published\nspec:\n%s\ncontext: %+v", tg, src, info)
			}
			if _, err := reference.WithTag(repo, tg); err != nil {
				t.Errorf("tag %q: %v", tg, err)
			}
			if seen[tg] {
				t.Errorf("tag %q published twice", tg)
			}
			seen[tg] = true
		}
	})
}
