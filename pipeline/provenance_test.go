package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/buildopt"
	"github.com/bricklayer-build/bricklayer/internal/ociread"
	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/publish"
)

// writeAttestedLayout writes a single-platform OCI layout at dir as
// BuildKit's OCI exporter does with provenance: index.json names an index
// of the image and its attestation manifest. It returns that index's
// digest.
func writeAttestedLayout(dir, seed string) (digest.Digest, error) {
	h := fnv.New64a()
	io.WriteString(h, seed)
	src := rand.NewSource(int64(h.Sum64()))
	img, err := random.Image(256, 1, random.WithSource(src))
	if err != nil {
		return "", err
	}
	att, err := random.Image(64, 1, random.WithSource(src))
	if err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": d.String()},
		}})
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", err
	}
	if err := lp.AppendIndex(idx); err != nil {
		return "", err
	}
	id, err := idx.Digest()
	return digest.Digest(id.String()), err
}

// TestProvenancePush: what BuildKit pushed with provenance (an index per
// platform) is unfolded, so the results and the metadata name each
// platform's image manifest and its attestation, and the index holds both.
func TestProvenancePush(t *testing.T) {
	s := load(t, twoPlatformSpec)
	sv, pub := newFakes()
	sv.attest = true
	results, err := run(context.Background(), s, sv, pub, runOpts{Push: true})
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	for _, p := range r.Platforms {
		img, att, _ := unfolded(digest.FromString("app " + p.Platform.String()))
		if p.Digest != img || p.Attestation != att {
			t.Errorf("%s: digest %s, attestation %s; want %s, %s", p.Platform, p.Digest, p.Attestation, img, att)
		}
	}
	if len(pub.pushes) != 1 {
		t.Fatalf("%d PushIndex calls, want 1", len(pub.pushes))
	}
	for i, m := range pub.pushes[0].manifests {
		if m.Digest != r.Platforms[i].Digest || m.Attestation != r.Platforms[i].Attestation {
			t.Errorf("index entry %d %+v, want the result's %+v", i, m, r.Platforms[i])
		}
	}
	ev := sv.ev.all()
	if n := countPrefix(ev, "unfold "); n != 2 {
		t.Errorf("%d Unfold calls, want one per platform: %v", n, ev)
	}
	if i, j := slices.Index(ev, "unfold ghcr.io/acme/app"), slices.Index(ev, "pushindex ghcr.io/acme/app"); i < 0 || j < i {
		t.Errorf("events %v: want unfold before pushindex", ev)
	}

	// Without provenance nothing is unfolded and the metadata has no
	// attestation field.
	sv, pub = newFakes()
	results, err = run(context.Background(), s, sv, pub, runOpts{Push: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(sv.ev.all(), "unfold "); n != 0 {
		t.Errorf("%d Unfold calls without provenance", n)
	}
	dt, err := json.Marshal(results[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(dt), "attestation") {
		t.Errorf("metadata without provenance names an attestation: %s", dt)
	}
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// TestProvenanceMatrix: a runner's metadata records each platform's
// attestation manifest, and Publish puts it in the index.
func TestProvenanceMatrix(t *testing.T) {
	s := load(t, twoPlatformSpec)
	ctx := context.Background()
	var sources []pipeline.Source
	for _, p := range []string{"linux/amd64", "linux/arm/v7"} {
		sv, pub := newFakes()
		sv.attest = true
		res, err := run(ctx, s, sv, pub, runOpts{Push: true, Platforms: []platform.Platform{plat(t, p)}})
		if err != nil {
			t.Fatal(err)
		}
		// Through the file, as publish reads it.
		dt, err := json.Marshal(pipeline.Metadata{Images: map[string]*pipeline.ImageResult{"app": res[0]}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(dt), `"attestation":"sha256:`) {
			t.Errorf("%s: metadata %s has no attestation", p, dt)
		}
		var m pipeline.Metadata
		if err := json.Unmarshal(dt, &m); err != nil {
			t.Fatal(err)
		}
		sources = append(sources, pipeline.Source{Name: p, Meta: &m})
	}
	// A runner that forgot --provenance: nothing published.
	sv, pub := newFakes()
	plain, err := run(ctx, s, sv, pub, runOpts{Push: true, Platforms: []platform.Platform{plat(t, "linux/arm/v7")}})
	if err != nil {
		t.Fatal(err)
	}
	mixed := []pipeline.Source{sources[0], {Name: "plain", Meta: &pipeline.Metadata{Images: map[string]*pipeline.ImageResult{"app": plain[0]}}}}
	_, pub = newFakes()
	_, err = pipeline.Publish(ctx, s, pub, mixed, pipeline.PublishOptions{})
	var rej *pipeline.RejectedError
	if !errors.As(err, &rej) || !strings.Contains(err.Error(), "image app: linux/amd64 built with --provenance, linux/arm/v7 without") {
		t.Errorf("mixed provenance: %v, want a RejectedError", err)
	}
	if len(pub.pushes) != 0 {
		t.Errorf("mixed provenance published anyway")
	}

	_, pub = newFakes()
	if _, err := pipeline.Publish(ctx, s, pub, sources, pipeline.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(pub.pushes) != 1 {
		t.Fatalf("%d PushIndex calls, want 1", len(pub.pushes))
	}
	for _, m := range pub.pushes[0].manifests {
		img, att, _ := unfolded(digest.FromString("app " + m.Platform.String()))
		if m != (publish.Manifest{Platform: m.Platform, Digest: img, Attestation: att}) {
			t.Errorf("index entry %+v, want digest %s, attestation %s", m, img, att)
		}
	}
}

// TestProvenanceOutput: an OCI layout gets each platform's image manifest
// with its platform and the attestation manifest as unknown/unknown, and
// the results name the image manifests.
func TestProvenanceOutput(t *testing.T) {
	s := load(t, twoPlatformSpec)
	sv, pub := newFakes()
	sv.attest = true
	out := filepath.Join(t.TempDir(), "out")
	results, err := run(context.Background(), s, sv, pub, runOpts{
		Output: &buildopt.Output{Type: "oci", Dest: out},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	idxs, err := ociread.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(idxs) != 1 {
		t.Fatalf("the layout holds %d indexes, want one", len(idxs))
	}
	im := idxs[0]
	if len(im.Manifests) != 4 {
		t.Fatalf("the index has %d manifests, want 2 images and 2 attestations", len(im.Manifests))
	}
	for i, p := range r.Platforms {
		img, att := im.Manifests[i], im.Manifests[2+i]
		if p.Digest.String() != img.Digest.String() || img.Platform == nil || img.Platform.Architecture != p.Platform.Architecture {
			t.Errorf("result %+v, index entry %d %+v", p, i, img)
		}
		if p.Attestation.String() != att.Digest.String() || att.Platform == nil || att.Platform.OS != "unknown" ||
			att.Annotations["vnd.docker.reference.digest"] != p.Digest.String() {
			t.Errorf("result %+v, attestation entry %+v", p, att)
		}
	}
}
