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
	"github.com/bricklayer-build/bricklayer/spec"
)

// TestPublish: the matrix runners' results become one index per image in
// the spec's platform order, and tags move once; anything missing, doubled,
// foreign or built from another spec publishes nothing.
func TestPublish(t *testing.T) {
	src := `
platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7"]
images: app: {repository: "ghcr.io/acme/app", from: "scratch", steps: [{run: "true"}], tags: ["1"]}`
	s := load(t, src)
	changed := load(t, strings.Replace(src, `run: "true"`, `run: "false"`, 1))
	ctx := context.Background()
	// What two runners pushed, as build --push --platform records it.
	runner := func(plats ...string) *pipeline.Metadata {
		sv, pub := newFakes()
		var ps []platform.Platform
		for _, p := range plats {
			ps = append(ps, plat(t, p))
		}
		res, err := run(ctx, s, sv, pub, runOpts{Push: true, Platforms: ps})
		if err != nil {
			t.Fatal(err)
		}
		return &pipeline.Metadata{Images: map[string]*pipeline.ImageResult{"app": res[0]}}
	}
	arm, amd := runner("linux/arm/v7", "linux/arm64"), runner("linux/amd64")

	_, pub := newFakes()
	results, err := pipeline.Publish(ctx, s, pub, []pipeline.Source{{Name: "arm.json", Meta: arm}, {Name: "amd.json", Meta: amd}}, pipeline.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pub.pushes) != 1 || len(pub.moves) != 1 {
		t.Fatalf("pushes %v, moves %v", pub.pushes, pub.moves)
	}
	var order []string
	for _, m := range pub.pushes[0].manifests {
		order = append(order, m.Platform.String())
	}
	if strings.Join(order, " ") != "linux/amd64 linux/arm64 linux/arm/v7" {
		t.Errorf("index order %v, want the spec's", order)
	}
	if results[0].Digest != pub.pushes[0].digest || len(results[0].Tags) != 1 {
		t.Errorf("result %+v", results[0])
	}

	// A build that wrote a layout or loaded Docker has digests too, of
	// manifests no registry holds.
	unpushed := *amd.Images["app"]
	unpushed.Pushed = false
	layoutOnly := &pipeline.Metadata{Images: map[string]*pipeline.ImageResult{"app": &unpushed}}

	for _, tc := range []struct {
		name    string
		s       *spec.Spec
		sources []pipeline.Source
		want    string
	}{
		{"missing", s, []pipeline.Source{{Name: "amd.json", Meta: amd}}, "image app: platform linux/arm64 is in no metadata file"},
		{"doubled", s, []pipeline.Source{{Name: "a.json", Meta: amd}, {Name: "b.json", Meta: amd}, {Name: "arm.json", Meta: arm}}, "platform linux/amd64 is in both a.json and b.json"},
		{"changed spec", changed, []pipeline.Source{{Name: "amd.json", Meta: amd}, {Name: "arm.json", Meta: arm}}, "platform linux/amd64 in amd.json was built from another spec"},
		{"other repository", s, []pipeline.Source{{Name: "x.json", Meta: &pipeline.Metadata{Images: map[string]*pipeline.ImageResult{"app": {Repository: "ghcr.io/other/app"}}}}}, "x.json: image app was pushed to ghcr.io/other/app"},
		{"unknown image", s, []pipeline.Source{{Name: "x.json", Meta: &pipeline.Metadata{Images: map[string]*pipeline.ImageResult{"nope": {}}}}}, "x.json: image nope is not in"},
		{"empty", s, []pipeline.Source{{Name: "x.json", Meta: &pipeline.Metadata{}}}, "x.json: no images"},
		{"not pushed", s, []pipeline.Source{{Name: "out.json", Meta: layoutOnly}, {Name: "arm.json", Meta: arm}}, "out.json: image app: platform linux/amd64 was not pushed (build --push)"},
	} {
		_, pub := newFakes()
		_, err := pipeline.Publish(ctx, tc.s, pub, tc.sources, pipeline.PublishOptions{})
		var rej *pipeline.RejectedError
		if !errors.As(err, &rej) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want a RejectedError with %q", tc.name, err, tc.want)
		}
		if len(pub.pushes) != 0 || len(pub.moves) != 0 {
			t.Errorf("%s: published anyway: %v %v", tc.name, pub.pushes, pub.moves)
		}
	}
}

// TestPublishChecksManifests: what the registry says a manifest is (Check)
// is checked for every image before any index is pushed; a mismatch names
// the metadata file, the image and the platform, and publishes nothing,
// not even the images found right.
func TestPublishChecksManifests(t *testing.T) {
	s := load(t, `
platforms: ["linux/amd64", "linux/arm64"]
images: a: {repository: "ghcr.io/acme/a", from: "scratch", steps: [{run: "true"}], tags: ["1"]}
images: b: {repository: "ghcr.io/acme/b", from: "scratch", steps: [{run: "true"}], tags: ["1"]}`)
	ctx := context.Background()
	sv, runPub := newFakes()
	res, err := run(ctx, s, sv, runPub, runOpts{Push: true, Platforms: []platform.Platform{plat(t, "linux/amd64"), plat(t, "linux/arm64")}})
	if err != nil {
		t.Fatal(err)
	}
	meta := &pipeline.Metadata{Images: map[string]*pipeline.ImageResult{}}
	for _, r := range res {
		meta.Images[r.Name] = r
	}
	// b's amd64 entry names its arm64 manifest.
	b := meta.Images["b"]
	b.Platforms[0].Digest = b.Platforms[1].Digest
	_, pub := newFakes()
	pub.wrong = map[digest.Digest]string{b.Platforms[1].Digest: "names " + b.Platforms[1].Digest.String() + ", an image of linux/arm64"}
	_, err = pipeline.Publish(ctx, s, pub, []pipeline.Source{{Name: "all.json", Meta: meta}}, pipeline.PublishOptions{})
	var rej *pipeline.RejectedError
	want := "all.json: image b: platform linux/amd64 names " + b.Platforms[1].Digest.String() + ", an image of linux/arm64"
	if !errors.As(err, &rej) || !slices.Contains(rej.Problems, want) {
		t.Errorf("error %v, want a RejectedError with %q", err, want)
	}
	if len(pub.pushes) != 0 || len(pub.moves) != 0 {
		t.Errorf("published anyway: %v %v", pub.pushes, pub.moves)
	}
}

// TestPublishMalformedDigest: a digest no reference can hold is a mistake
// in the metadata file, named by file and field, found before the
// registry is asked anything.
func TestPublishMalformedDigest(t *testing.T) {
	s := load(t, `
platforms: ["linux/amd64"]
images: app: {repository: "ghcr.io/acme/app", from: "scratch", steps: [{run: "true"}], tags: ["1"]}`)
	ctx := context.Background()
	for _, tc := range []struct {
		field string
		set   func(*pipeline.PlatformResult)
		want  string
	}{
		{"digest", func(p *pipeline.PlatformResult) { p.Digest = "sha256:nothex" }, `m.json: images.app.platforms[0].digest: "sha256:nothex" is not a digest`},
		{"attestation", func(p *pipeline.PlatformResult) { p.Attestation = "md5:abc" }, `m.json: images.app.platforms[0].attestation: "md5:abc" is not a digest`},
		{"llb", func(p *pipeline.PlatformResult) {
			p.LLB = digest.Digest("sha512:" + strings.Repeat("a", 128))
		}, `m.json: images.app.platforms[0].llb: "sha512:aaaa`},
	} {
		sv, runPub := newFakes()
		res, err := run(ctx, s, sv, runPub, runOpts{Push: true, Platforms: []platform.Platform{plat(t, "linux/amd64")}})
		if err != nil {
			t.Fatal(err)
		}
		tc.set(&res[0].Platforms[0])
		_, pub := newFakes()
		_, err = pipeline.Publish(ctx, s, pub, []pipeline.Source{{Name: "m.json", Meta: &pipeline.Metadata{Images: map[string]*pipeline.ImageResult{"app": res[0]}}}}, pipeline.PublishOptions{})
		var rej *pipeline.RejectedError
		if !errors.As(err, &rej) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want a RejectedError with %q", tc.field, err, tc.want)
		}
		if ev := pub.ev.all(); len(ev) != 0 {
			t.Errorf("%s: the registry was asked: %v", tc.field, ev)
		}
	}
}
