package ociread_test

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/bricklayer-build/bricklayer/internal/ociread"
)

func TestRead(t *testing.T) {
	idx, err := random.Index(64, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	ann := map[string]string{"org.opencontainers.image.ref.name": "1.0"}
	if err := lp.AppendIndex(idx, layout.WithAnnotations(ann)); err != nil {
		t.Fatal(err)
	}
	got, err := ociread.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d indexes, want 1", len(got))
	}
	want, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Desc.Digest != want || got[0].Desc.Annotations["org.opencontainers.image.ref.name"] != "1.0" {
		t.Errorf("entry %+v, want digest %s and ref name 1.0", got[0].Desc, want)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0].Manifests) != len(im.Manifests) {
		t.Fatalf("%d manifests, want %d", len(got[0].Manifests), len(im.Manifests))
	}
	for i, m := range im.Manifests {
		if got[0].Manifests[i].Digest != m.Digest {
			t.Errorf("manifest %d: %s, want %s", i, got[0].Manifests[i].Digest, m.Digest)
		}
	}
}

// An image manifest at the top, where bricklayer writes an index, is an
// error that names it.
func TestReadNotAnIndex(t *testing.T) {
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := layout.Write(dir, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{}})); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	_, err = ociread.Read(dir)
	if err == nil || !strings.Contains(err.Error(), d.String()+" is a ") {
		t.Fatalf("Read: %v, want an error naming %s", err, d)
	}
}

func TestReadMissing(t *testing.T) {
	if _, err := ociread.Read(t.TempDir()); err == nil {
		t.Fatal("Read of an empty directory: no error")
	}
}
