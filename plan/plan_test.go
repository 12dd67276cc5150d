package plan_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

const testSpec = `
platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7"]
images: {
	base: {repository: "ghcr.io/acme/base", from: "alpine:3.20", steps: [{run: "apk add curl"}], tags: ["1"]}
	app: {repository: "ghcr.io/acme/app", from: "base", steps: [{copy: ".", dest: "/src"}, {run: "make -C /src"}], tags: ["1", "latest"]}
	tool: {repository: "ghcr.io/acme/tool", platforms: ["linux/amd64"], dockerfile: "Dockerfile", tags: ["1"]}
}
`

func load(t *testing.T) *spec.Spec {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		spec.FileName: testSpec,
		"Dockerfile":  "FROM alpine:3.20\nRUN echo hi > /hi\n",
		"Makefile":    "all:\n\ttrue\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := spec.Load(filepath.Join(dir, spec.FileName))
	if err != nil {
		t.Fatal(spec.Diagnostics(err))
	}
	return s
}

func digests(p *plan.Plan) []string {
	var out []string
	for _, t := range p.Targets() {
		out = append(out, t.Image.Name+" "+t.Platform.String()+" "+t.Digest.String())
	}
	return out
}

// TestMakeDeterministic: targets are lowered concurrently; the plan is the
// same whatever the number of CPUs and however often it is made.
func TestMakeDeterministic(t *testing.T) {
	s := load(t)
	ctx := context.Background()
	first, err := plan.Make(ctx, s, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := digests(first)
	if len(want) != 7 {
		t.Fatalf("targets %v, want 3 + 3 + 1", want)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, n := range []int{1, 4, 16} {
		runtime.GOMAXPROCS(n)
		p, err := plan.Make(ctx, s, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := digests(p); !slices.Equal(got, want) {
			t.Errorf("GOMAXPROCS %d: %v, want %v", n, got, want)
		}
	}
}

// TestMakeSelects: images and platforms select targets; an image keeps
// all its platforms so that a share of them is known as one.
func TestMakeSelects(t *testing.T) {
	s := load(t)
	arm := platform.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	p, err := plan.Make(context.Background(), s, plan.Options{Platforms: []platform.Platform{arm}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, im := range p.Images {
		names = append(names, im.Name)
		if len(im.Targets) != 1 || im.Targets[0].Platform != arm || !im.Subset() {
			t.Errorf("%s: targets %v, subset %v", im.Name, im.Targets, im.Subset())
		}
		if im.Targets[0].Definition != nil {
			t.Errorf("%s: a definition kept without Definitions", im.Name)
		}
	}
	if !slices.Equal(names, []string{"app", "base"}) && !slices.Equal(names, []string{"base", "app"}) {
		t.Errorf("images %v, want app and base (tool has no arm/v7)", names)
	}
	if _, err := plan.Make(context.Background(), s, plan.Options{Images: []string{"nosuch"}}); err == nil {
		t.Error("an unknown image planned")
	}
}

// TestBuildPlatform: a target's build platform is part of its graph; the
// node's own, given per platform, changes the digest of a Dockerfile
// image only where the Dockerfile reads it.
func TestBuildPlatform(t *testing.T) {
	s := load(t)
	ctx := context.Background()
	amd, err := plan.Make(ctx, s, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	arm64 := platform.Platform{OS: "linux", Architecture: "arm64"}
	p, err := plan.Make(ctx, s, plan.Options{BuildPlatforms: map[platform.Platform]platform.Platform{arm64: arm64}})
	if err != nil {
		t.Fatal(err)
	}
	for i, tg := range p.Targets() {
		want := platform.Platform{OS: "linux", Architecture: "amd64"}
		if tg.Platform == arm64 {
			want = arm64
		}
		if tg.BuildPlatform == nil || *tg.BuildPlatform != want {
			t.Errorf("%s %s: build platform %v, want %v", tg.Image.Name, tg.Platform, tg.BuildPlatform, want)
		}
		if tg.Digest != amd.Targets()[i].Digest && tg.Platform != arm64 {
			t.Errorf("%s %s: digest changed with another platform's build platform", tg.Image.Name, tg.Platform)
		}
	}
}

func TestWhole(t *testing.T) {
	amd, err := platform.Parse("linux/amd64")
	if err != nil {
		t.Fatal(err)
	}
	arm, err := platform.Parse("linux/arm/v7")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		all, sel []platform.Platform
		want     bool
	}{
		{[]platform.Platform{amd, arm}, nil, true},
		{[]platform.Platform{amd, arm}, []platform.Platform{arm, amd}, true},
		{[]platform.Platform{amd, arm}, []platform.Platform{arm}, false},
		{[]platform.Platform{amd}, []platform.Platform{amd, arm}, true},
	} {
		if got := plan.Whole(c.all, c.sel); got != c.want {
			t.Errorf("Whole(%v, %v) = %v", c.all, c.sel, got)
		}
	}
}
