package spec

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bricklayer-build/bricklayer/platform"
)

// TestDockerfileParsedOnce: a load reads and parses each Dockerfile once,
// however many images and platforms name it, and what asks about it
// afterwards (unused args, the syntax directive, targets, base
// variables) parses nothing more.
func TestDockerfileParsedOnce(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":       "# syntax=docker/dockerfile:1\nARG V\nFROM alpine AS build\nARG W\nRUN true\nFROM scratch AS run\nCOPY --from=build / /\n",
		"arm/Dockerfile":   "FROM alpine\nARG V\n",
		"Dockerfile.other": "FROM alpine\n",
		".dockerignore":    "*.pem\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := `
platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7"]
images: {
	build: {repository: "x/build", dockerfile: "Dockerfile", target: "build", args: V: "1"}
	run: {repository: "x/run", dockerfile: "Dockerfile", args: {V: "1", U: "2"}}
	// Platforms that name the same file, and one in another context.
	same: {
		repository: "x/same"
		dockerfile: "Dockerfile"
		platform: "linux/arm64": {dockerfile: "Dockerfile", target: "run"}
		platform: "linux/arm/v7": {context: "arm", args: V: "7"}
	}
	other: {repository: "x/other", context: ".", dockerfile: "Dockerfile.other"}
	native: {repository: "x/native", from: "alpine"}
}
`
	parsed := map[string]int{}
	s, err := Parse(filepath.Join(dir, FileName), []byte(src), func(o *options) {
		o.parsed = func(p string) { parsed[p]++ }
	})
	if err != nil {
		t.Fatal(Diagnostics(err))
	}
	for _, name := range s.ImageNames {
		im := s.Images[name]
		im.UnusedArgs()
		im.SyntaxDirective()
		im.BaseEnvUnknown(5)
	}
	var got []string
	for p, n := range parsed {
		rel, _ := filepath.Rel(dir, p)
		got = append(got, filepath.ToSlash(rel))
		if n != 1 {
			t.Errorf("%s parsed %d times, want once", rel, n)
		}
	}
	slices.Sort(got)
	if want := []string{"Dockerfile", "Dockerfile.other", "arm/Dockerfile"}; !slices.Equal(got, want) {
		t.Errorf("parsed %q, want %q", got, want)
	}

	// The images share what was parsed and read.
	df := s.Images["build"].ParsedDockerfile
	for _, im := range []*Image{s.Images["run"], s.Images["same"], s.Images["same"].ForPlatform(mustPlatform(t, "linux/arm64"))} {
		if im.ParsedDockerfile != df {
			t.Errorf("%s: a parse of its own", im.Name)
		}
	}
	arm := s.Images["same"].ForPlatform(mustPlatform(t, "linux/arm/v7"))
	if arm.ParsedDockerfile == df || arm.ParsedDockerfile == nil || len(arm.ParsedDockerfile.Stages) != 1 {
		t.Errorf("linux/arm/v7 of same: not arm/Dockerfile's parse")
	}
	if got := s.Images["run"].UnusedArgs(); !slices.Equal(got, []string{"U"}) {
		t.Errorf("UnusedArgs() of run = %q, want [U]", got)
	}
	if got := s.Images["run"].SyntaxDirective(); got != "docker/dockerfile:1" {
		t.Errorf("SyntaxDirective() = %q", got)
	}
	if got := s.Images["other"].DockerIgnore; !slices.Equal(got, []string{"*.pem"}) {
		t.Errorf("DockerIgnore of other = %q", got)
	}
}

func mustPlatform(t *testing.T, s string) platform.Platform {
	t.Helper()
	p, err := platform.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
