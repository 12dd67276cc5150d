package solve

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/moby/buildkit/util/attestation"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/publish"
)

// TestSplitLayout: a session's layout of two platforms (BuildKit's index
// of their images, then the attestation manifest of one) splits into the
// single-platform layouts publish reads, each with its image and its own
// attestation, and publish finds the same manifests in them.
func TestSplitLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app", ".session-1")
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	var descs []ocispecs.Descriptor
	var digests []digest.Digest
	for range 3 {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := lp.WriteImage(img); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		mt, _ := img.MediaType()
		raw, _ := img.RawManifest()
		digests = append(digests, digest.Digest(d.String()))
		descs = append(descs, ocispecs.Descriptor{MediaType: string(mt), Digest: digest.Digest(d.String()), Size: int64(len(raw))})
	}
	descs[0].Platform = &ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	descs[1].Platform = &ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	descs[2].Platform = &ocispecs.Platform{OS: "unknown", Architecture: "unknown"}
	descs[2].Annotations = map[string]string{
		attestation.DockerAnnotationReferenceType:   attestation.DockerAnnotationReferenceTypeDefault,
		attestation.DockerAnnotationReferenceDigest: digests[1].String(),
	}
	top, err := writeIndex(dir, descs)
	if err != nil {
		t.Fatal(err)
	}
	dt, _ := json.Marshal(ocispecs.Index{Manifests: []ocispecs.Descriptor{top}})
	if err := os.WriteFile(filepath.Join(dir, "index.json"), dt, 0o644); err != nil {
		t.Fatal(err)
	}

	reqs := []Request{
		{Platform: armv7, LayoutDir: filepath.Join(dir, "..", "linux-arm-v7")},
		{Platform: amd64, LayoutDir: filepath.Join(dir, "..", "linux-amd64")},
	}
	out := []*Result{{}, {}}
	if err := splitLayout(dir, reqs, out); err != nil {
		t.Fatal(err)
	}
	if !out[0].Attested || out[1].Attested || out[1].Manifest != digests[0] {
		t.Errorf("results %+v %+v: want arm/v7 attested, amd64 its image %s", out[0], out[1], digests[0])
	}
	_, ms, err := publish.WriteLayout(filepath.Join(t.TempDir(), "out"), false, "", []publish.LayoutPart{
		{Platform: amd64, Dir: reqs[1].LayoutDir}, {Platform: armv7, Dir: reqs[0].LayoutDir},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []publish.Manifest{{Platform: amd64, Digest: digests[0]}, {Platform: armv7, Digest: digests[1], Attestation: digests[2]}}
	for i := range want {
		if ms[i] != want[i] {
			t.Errorf("manifest %d: %+v, want %+v", i, ms[i], want[i])
		}
	}

	if _, _, err := platformEntries(&ocispecs.Index{Manifests: descs}, arm64); err == nil {
		t.Error("no error for a platform the layout lacks")
	}
}
