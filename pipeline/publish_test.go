package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/pipeline"
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
		var ps []spec.Platform
		for _, p := range plats {
			ps = append(ps, plat(t, p))
		}
		res, err := pipeline.Run(ctx, s, sv, pub, pipeline.Options{Push: true, Platforms: ps})
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
