package pipeline_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/platform"
)

const goodBadSpec = `
platforms: ["linux/amd64", "linux/arm/v7"]
images: good: {repository: "ghcr.io/acme/good", from: "scratch", steps: [{run: "true"}], tags: ["1"]}
images: bad: {repository: "ghcr.io/acme/bad", from: "scratch", platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7"], steps: [{run: "false"}], tags: ["1"]}
`

// TestPlatformsAllOfAnImage: --platform naming every platform of an
// image builds the image, not a matrix job's share: its index is pushed
// and its tags move. An image of the same run that has more platforms is
// a share: pushed by digest, no index, no tag.
func TestPlatformsAllOfAnImage(t *testing.T) {
	s := load(t, goodBadSpec)
	sv, pub := newFakes()
	plats := []platform.Platform{plat(t, "linux/amd64"), plat(t, "linux/arm/v7")}
	results, err := run(context.Background(), s, sv, pub, runOpts{Push: true, Platforms: plats})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*pipeline.ImageResult{}
	for _, r := range results {
		byName[r.Name] = r
	}
	good, bad := byName["good"], byName["bad"]
	if good.Partial || good.Digest == "" || !slices.Equal(good.Tags, []string{"ghcr.io/acme/good:1"}) {
		t.Errorf("good: partial %v, digest %q, tags %v; want its index pushed and tagged", good.Partial, good.Digest, good.Tags)
	}
	if !bad.Partial || bad.Digest != "" || len(bad.Tags) != 0 {
		t.Errorf("bad: partial %v, digest %q, tags %v; want a share: by digest only", bad.Partial, bad.Digest, bad.Tags)
	}
	for _, m := range pub.moves {
		for _, j := range m {
			if j.Image == "bad" {
				t.Errorf("moved the tags of bad, a subset of its platforms: %v", j)
			}
		}
	}
}

// TestPublishImagesTheFilesHold: a matrix that built only image good
// publishes good; bad, in no file, is not asked for. An image named on
// the command line must be complete.
func TestPublishImagesTheFilesHold(t *testing.T) {
	s := load(t, goodBadSpec)
	ctx := context.Background()
	var sources []pipeline.Source
	for i, p := range []string{"linux/amd64", "linux/arm/v7"} {
		sv, runPub := newFakes()
		res, err := run(ctx, s, sv, runPub, runOpts{Push: true, Images: []string{"good"}, Platforms: []platform.Platform{plat(t, p)}})
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, pipeline.Source{Name: []string{"m0.json", "m1.json"}[i], Meta: &pipeline.Metadata{Images: map[string]*pipeline.ImageResult{"good": res[0]}}})
	}
	_, pub := newFakes()
	results, err := pipeline.Publish(ctx, s, pub, sources, pipeline.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Name != "good" || !slices.Equal(results[0].Tags, []string{"ghcr.io/acme/good:1"}) {
		t.Errorf("published %+v, want good alone, tagged", results)
	}
	_, pub = newFakes()
	_, err = pipeline.Publish(ctx, s, pub, sources, pipeline.PublishOptions{Images: []string{"good", "bad"}})
	var rej *pipeline.RejectedError
	if !errors.As(err, &rej) || !slices.Contains(rej.Problems, "image bad: platform linux/amd64 is in no metadata file") {
		t.Errorf("publish of good and bad: %v, want bad's platforms missing", err)
	}
}

// TestPublishPlansWithTheRunnersArgs: runners built with --arg; publish
// plans with the args they recorded, so it needs no copy of them, and
// refuses runners whose args differ, or a command line that differs.
func TestPublishPlansWithTheRunnersArgs(t *testing.T) {
	s := load(t, `
platforms: ["linux/amd64", "linux/arm64"]
images: app: {repository: "ghcr.io/acme/app", from: "scratch", args: {V: "1"}, steps: [{run: "echo $V"}], tags: ["1"]}`)
	ctx := context.Background()
	runner := func(name, p, v string) pipeline.Source {
		sv, runPub := newFakes()
		args := map[string]string{"V": v}
		res, err := run(ctx, s, sv, runPub, runOpts{Push: true, Args: args, Platforms: []platform.Platform{plat(t, p)}})
		if err != nil {
			t.Fatal(err)
		}
		return pipeline.Source{Name: name, Meta: &pipeline.Metadata{Images: map[string]*pipeline.ImageResult{"app": res[0]}, Inputs: &pipeline.Inputs{Args: args}}}
	}
	sources := []pipeline.Source{runner("m0.json", "linux/amd64", "7"), runner("m1.json", "linux/arm64", "7")}
	inputs, err := pipeline.AgreedInputs(sources, pipeline.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	_, pub := newFakes()
	if _, err := pipeline.Publish(ctx, s, pub, sources, pipeline.PublishOptions{Inputs: inputs}); err != nil {
		t.Fatalf("publish with the runners' args: %v", err)
	}
	// Without them, the graphs differ.
	_, pub = newFakes()
	if _, err := pipeline.Publish(ctx, s, pub, sources, pipeline.PublishOptions{}); err == nil || !strings.Contains(err.Error(), "built from another spec") {
		t.Errorf("publish planned without the args: %v, want a digest mismatch", err)
	}
	_, err = pipeline.AgreedInputs(sources, pipeline.Inputs{Args: map[string]string{"V": "8"}})
	if err == nil || !strings.Contains(err.Error(), "the builds recorded --arg V=7, publish was given --arg V=8 (--arg V)") {
		t.Errorf("a command line that differs: %v", err)
	}
	mixed := []pipeline.Source{sources[0], runner("m1.json", "linux/arm64", "8")}
	_, err = pipeline.AgreedInputs(mixed, pipeline.Inputs{})
	if err == nil || !strings.Contains(err.Error(), "m0.json: --arg V=7, m1.json: --arg V=8 (--arg V)") {
		t.Errorf("runners that differ: %v", err)
	}
}

// TestAgreedBases: runners whose base image resolved to different
// digests (the tag moved between jobs) are refused, naming it; bases
// only one runner used are kept.
func TestAgreedBases(t *testing.T) {
	src := func(name string, bases map[string]string) pipeline.Source {
		in := &pipeline.Inputs{Bases: map[string]digest.Digest{}}
		for k, v := range bases {
			in.Bases[k] = digest.Digest(v)
		}
		return pipeline.Source{Name: name, Meta: &pipeline.Metadata{Inputs: in}}
	}
	a := "sha256:" + strings.Repeat("a", 64)
	b := "sha256:" + strings.Repeat("b", 64)
	got, err := pipeline.AgreedInputs([]pipeline.Source{src("m0.json", map[string]string{"alpine": a}), src("m1.json", map[string]string{"alpine": a, "debian": b})}, pipeline.Inputs{})
	if err != nil || len(got.Bases) != 2 {
		t.Errorf("agreeing runners: %v %v", got.Bases, err)
	}
	_, err = pipeline.AgreedInputs([]pipeline.Source{src("m0.json", map[string]string{"alpine": a}), src("m1.json", map[string]string{"alpine": b})}, pipeline.Inputs{})
	if err == nil || !strings.Contains(err.Error(), "base image alpine: m0.json resolved it to "+a+", m1.json to "+b) {
		t.Errorf("a base that moved: %v", err)
	}
}
