package llbgen

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/bricklayer-build/bricklayer/spec"
)

// FuzzLower loads a spec with a Dockerfile beside it and lowers every
// image for every platform. Nothing may panic, and what vet accepts plan
// must lower: a definition, or positioned errors from the load or from
// Check, never a failure only plan finds.
func FuzzLower(f *testing.F) {
	scripts, _ := filepath.Glob("../testdata/script/*.txtar")
	for _, s := range scripts {
		ar, err := txtar.ParseFile(s)
		if err != nil {
			f.Fatal(err)
		}
		var cue, dockerfile []byte
		for _, file := range ar.Files {
			switch {
			case file.Name == "bricklayer.cue":
				cue = file.Data
			case strings.HasSuffix(file.Name, "Dockerfile") && dockerfile == nil:
				dockerfile = file.Data
			}
		}
		if cue != nil {
			f.Add(cue, dockerfile)
		}
	}
	f.Add([]byte(`images: a: {repository: "x/a", dockerfile: "Dockerfile", target: "b"}`),
		[]byte("ARG BASE=alpine\nFROM $BASE AS b\nRUN --mount=type=cache,target=/c make\nCOPY --from=b / /\n"))
	f.Add([]byte(`platforms: ["linux/amd64", "linux/arm/v7"]
images: a: {repository: "x/a", from: "scratch", steps: [{run: "x", cache: [{target: "/c"}], secrets: [{id: "s"}]}, {copy: "a", dest: "/", chown: "1:2", chmod: "0755"}]
	platform: "linux/arm/v7": env: A: "1"}`), []byte("FROM scratch\n"))
	f.Fuzz(func(t *testing.T, src, dockerfile []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), dockerfile, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := spec.Parse(filepath.Join(dir, spec.FileName), src)
		if err != nil {
			for _, d := range spec.Diagnostics(err) {
				if d.File == "" || d.Line < 1 || d.Col < 1 {
					t.Errorf("error without a position: %s", d)
				}
			}
			return
		}
		ctx := context.Background()
		// vet converts the Dockerfiles too (Check), and checks them.
		found, err := Check(ctx, s)
		if err != nil {
			for _, d := range spec.Diagnostics(err) {
				if d.File == "" || d.Line < 1 || d.Col < 1 {
					t.Errorf("Dockerfile error without a position: %s", d)
				}
			}
			return
		}
		for _, f := range found {
			if f.File == "" || f.Message == "" || len(f.Images) == 0 {
				t.Errorf("finding without a file, message or image: %+v", f)
			}
		}
		if slices.ContainsFunc(found, func(f Finding) bool { return f.Error }) {
			return // vet rejects the spec; plan does too
		}
		l := New(s, Options{})
		for _, name := range s.ImageNames {
			for _, p := range s.Images[name].Platforms {
				tg, err := l.Lower(ctx, name, p)
				if err != nil {
					t.Fatalf("vet accepts what plan rejects: %s %s: %v\nspec:\n%s\nDockerfile:\n%s", name, p, err, src, dockerfile)
				}
				if _, err := tg.Marshal(ctx); err != nil {
					t.Fatalf("marshal %s %s: %v\nspec:\n%s\nDockerfile:\n%s", name, p, err, src, dockerfile)
				}
			}
		}
	})
}
