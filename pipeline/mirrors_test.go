package pipeline_test

import (
	"context"
	"slices"
	"testing"

	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/platform"
)

const mirroredSpec = `
platforms: ["linux/amd64", "linux/arm64"]
images: app: {repository: ["ghcr.io/acme/app", "docker.io/acme/app"], from: "scratch", steps: [{run: "true"}], tags: ["1", "latest"]}
`

// TestMirrors: an image of several repositories has its platforms
// pushed to the first, copied to the others, the same index pushed to
// each, and its tags moved in every one, all in one move.
func TestMirrors(t *testing.T) {
	s := load(t, mirroredSpec)
	sv, pub := newFakes()
	results, err := run(context.Background(), s, sv, pub, runOpts{Push: true})
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	if !slices.Equal(r.Mirrors, []string{"docker.io/acme/app"}) {
		t.Errorf("mirrors %v", r.Mirrors)
	}
	var repos []string
	for _, p := range pub.pushes {
		repos = append(repos, p.repo)
		if p.digest != r.Digest {
			t.Errorf("index in %s is %s, want %s", p.repo, p.digest, r.Digest)
		}
	}
	if !slices.Equal(repos, []string{"ghcr.io/acme/app", "docker.io/acme/app"}) {
		t.Errorf("indexes pushed to %v", repos)
	}
	if ev := pub.ev.all(); !slices.Contains(ev, "copy ghcr.io/acme/app docker.io/acme/app") {
		t.Errorf("events %v: no copy to the mirror", ev)
	}
	if len(pub.moves) != 1 || len(pub.moves[0]) != 2 {
		t.Fatalf("moves %v, want one move of two jobs", pub.moves)
	}
	want := []string{"ghcr.io/acme/app:1", "ghcr.io/acme/app:latest", "docker.io/acme/app:1", "docker.io/acme/app:latest"}
	got := slices.Clone(r.Tags)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("tags %v, want %v", got, want)
	}
}

// TestMirrorsPublish: publish of a matrix pushes the mirrors too.
func TestMirrorsPublish(t *testing.T) {
	s := load(t, mirroredSpec)
	ctx := context.Background()
	var sources []pipeline.Source
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		sv, runPub := newFakes()
		res, err := run(ctx, s, sv, runPub, runOpts{Push: true, Platforms: []platform.Platform{plat(t, p)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(runPub.pushes) != 0 {
			t.Errorf("a share pushed an index: %v", runPub.pushes)
		}
		sources = append(sources, pipeline.Source{Name: p, Meta: &pipeline.Metadata{Images: map[string]*pipeline.ImageResult{"app": res[0]}}})
	}
	_, pub := newFakes()
	results, err := pipeline.Publish(ctx, s, pub, sources, pipeline.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(results[0].Mirrors, []string{"docker.io/acme/app"}) || len(results[0].Tags) != 4 {
		t.Errorf("mirrors %v, tags %v", results[0].Mirrors, results[0].Tags)
	}
}

// TestMirrorsLoad: --load names the image under every repository's tags.
func TestMirrorsLoad(t *testing.T) {
	s := load(t, mirroredSpec)
	amd := plat(t, "linux/amd64")
	sv, pub := newFakes()
	if _, err := run(context.Background(), s, sv, pub, runOpts{Load: &amd}); err != nil {
		t.Fatal(err)
	}
	want := []string{"ghcr.io/acme/app:1", "ghcr.io/acme/app:latest", "docker.io/acme/app:1", "docker.io/acme/app:latest"}
	if got := sv.requests()["app linux/amd64"].LoadNames; !slices.Equal(got, want) {
		t.Errorf("load names %v, want %v", got, want)
	}
}
