package publish_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/publish"
)

const (
	pubTestRefType   = "vnd.docker.reference.type"
	pubTestRefDigest = "vnd.docker.reference.digest"
)

// pubTestAttestation is an attestation manifest about img as BuildKit
// writes one: an OCI image of platform unknown/unknown whose one layer is
// an in-toto statement with img as its subject.
func pubTestAttestation(t *testing.T, img v1.Image) v1.Image {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	stmt := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v1","subject":[{"name":"pkg:docker/app","digest":{"sha256":%q}}],"predicate":{}}`, d.Hex)
	att, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{
		Layer:     static.NewLayer([]byte(stmt), "application/vnd.in-toto+json"),
		MediaType: "application/vnd.in-toto+json",
	})
	if err != nil {
		t.Fatal(err)
	}
	att = mutate.ConfigMediaType(att, types.OCIConfigJSON)
	cf, err := att.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf.OS, cf.Architecture = "unknown", "unknown"
	if att, err = mutate.ConfigFile(att, cf); err != nil {
		t.Fatal(err)
	}
	return att
}

// pubTestAttestedIndex is the index BuildKit exports for one platform with
// provenance: the image, then the attestation manifest about it.
func pubTestAttestedIndex(t *testing.T, img, att v1.Image) v1.ImageIndex {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{pubTestRefType: "attestation-manifest", pubTestRefDigest: d.String()},
		}})
}

// pubTestPushIndex pushes idx (and what it holds) to repo by digest.
func pubTestPushIndex(t *testing.T, repo string, idx v1.ImageIndex) digest.Digest {
	t.Helper()
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewDigest(repo+"@"+d.String(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return digest.Digest(d.String())
}

func pubTestDigest(t *testing.T, img v1.Image) digest.Digest {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return digest.Digest(d.String())
}

// TestUnfold: what BuildKit pushed for one platform gives its image
// manifest and the attestation manifest about it.
func TestUnfold(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	ctx := context.Background()
	img := pubTestImage(t)
	att := pubTestAttestation(t, img)

	d := pubTestPushIndex(t, repo, pubTestAttestedIndex(t, img, att))
	gotImg, gotAtt, err := reg.Unfold(ctx, repo, d)
	if err != nil {
		t.Fatal(err)
	}
	if gotImg != pubTestDigest(t, img) || gotAtt != pubTestDigest(t, att) {
		t.Errorf("Unfold gave %s, %s; want %s, %s", gotImg, gotAtt, pubTestDigest(t, img), pubTestDigest(t, att))
	}

	// An image manifest (no provenance) is itself.
	plain := pubTestPushImage(t, repo, pubTestImage(t))
	if gotImg, gotAtt, err = reg.Unfold(ctx, repo, plain); err != nil || gotImg != plain || gotAtt != "" {
		t.Errorf("Unfold of an image: %s, %q, %v; want %s, \"\"", gotImg, gotAtt, err, plain)
	}

	// An index of one image without attestation: the image alone.
	lone := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), mutate.IndexAddendum{Add: img})
	if gotImg, gotAtt, err = reg.Unfold(ctx, repo, pubTestPushIndex(t, repo, lone)); err != nil || gotImg != pubTestDigest(t, img) || gotAtt != "" {
		t.Errorf("Unfold of an index without attestation: %s, %q, %v", gotImg, gotAtt, err)
	}

	// Not one platform's: refused.
	two := pubTestIndex(t, reg, repo)
	if _, _, err := reg.Unfold(ctx, repo, two); err == nil || !strings.Contains(err.Error(), "holds 2 image manifests, want one") {
		t.Errorf("Unfold of a two-image index: %v", err)
	}
	if _, _, err := reg.Unfold(ctx, repo, pubTestMissingDigest("unfold")); err == nil {
		t.Error("Unfold of a missing manifest succeeded")
	}
}

// TestIndexWithAttestations: PushIndex and WriteLayout fold each
// platform's attestation manifest into the index after the images, as
// unknown/unknown with the annotations naming its image, and give the same
// index for the same manifests.
func TestIndexWithAttestations(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	ctx := context.Background()
	arm, amd := pubTestImage(t), pubTestImage(t)
	armAtt, amdAtt := pubTestAttestation(t, arm), pubTestAttestation(t, amd)
	manifests := []publish.Manifest{
		{Platform: pubTestArmV7, Digest: pubTestPushImage(t, repo, arm), Attestation: pubTestPushImage(t, repo, armAtt)},
		{Platform: pubTestAmd64, Digest: pubTestPushImage(t, repo, amd), Attestation: pubTestPushImage(t, repo, amdAtt)},
	}
	d, err := reg.PushIndex(ctx, repo, manifests, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewDigest(repo+"@"+d.String(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 4 {
		t.Fatalf("the index has %d manifests, want 2 images then 2 attestations", len(im.Manifests))
	}
	for i, m := range manifests {
		img, att := im.Manifests[i], im.Manifests[2+i]
		if img.Digest.String() != m.Digest.String() || img.Platform == nil || img.Platform.Architecture != m.Platform.Architecture || len(img.Annotations) != 0 {
			t.Errorf("entry %d: %+v, want the image %s of %s", i, img, m.Digest, m.Platform)
		}
		if att.Digest.String() != m.Attestation.String() || att.MediaType != types.OCIManifestSchema1 {
			t.Errorf("entry %d: %s %s, want the attestation %s", 2+i, att.MediaType, att.Digest, m.Attestation)
		}
		if att.Platform == nil || att.Platform.OS != "unknown" || att.Platform.Architecture != "unknown" {
			t.Errorf("entry %d: platform %+v, want unknown/unknown", 2+i, att.Platform)
		}
		if att.Annotations[pubTestRefType] != "attestation-manifest" || att.Annotations[pubTestRefDigest] != m.Digest.String() {
			t.Errorf("entry %d: annotations %v, want an attestation-manifest about %s", 2+i, att.Annotations, m.Digest)
		}
	}

	// Layouts as BuildKit's OCI exporter writes them with provenance give
	// the same index and the same manifests.
	var parts []publish.LayoutPart
	for i, img := range []v1.Image{arm, amd} {
		dir := t.TempDir()
		lp, err := layout.Write(dir, empty.Index)
		if err != nil {
			t.Fatal(err)
		}
		if err := lp.AppendIndex(pubTestAttestedIndex(t, img, []v1.Image{armAtt, amdAtt}[i])); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, publish.LayoutPart{Platform: manifests[i].Platform, Dir: dir})
	}
	dLayout, got, err := publish.WriteLayout(filepath.Join(t.TempDir(), "out"), false, "", parts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if dLayout != d {
		t.Errorf("WriteLayout gave %s, PushIndex %s", dLayout, d)
	}
	for i := range manifests {
		if got[i] != manifests[i] {
			t.Errorf("WriteLayout manifest %d: %+v, want %+v", i, got[i], manifests[i])
		}
	}

	// Without attestations nothing changes: the images alone.
	plain := []publish.Manifest{{Platform: pubTestArmV7, Digest: manifests[0].Digest}, {Platform: pubTestAmd64, Digest: manifests[1].Digest}}
	dPlain, err := reg.PushIndex(ctx, repo, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(pubTestDigestRef(t, repo, dPlain))
	if err != nil {
		t.Fatal(err)
	}
	if pm, err := idx.IndexManifest(); err != nil || len(pm.Manifests) != 2 {
		t.Errorf("index without attestations: %v, %v", pm, err)
	}
}

func pubTestDigestRef(t *testing.T, repo string, d digest.Digest) name.Digest {
	t.Helper()
	ref, err := name.NewDigest(repo+"@"+d.String(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestPushIndexMissingAttestation: an attestation manifest the registry
// does not have fails the index, naming it.
func TestPushIndexMissingAttestation(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	_, err := reg.PushIndex(context.Background(), repo, []publish.Manifest{
		{Platform: pubTestAmd64, Digest: pubTestPushImage(t, repo, pubTestImage(t)), Attestation: pubTestMissingDigest("attestation")},
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "the attestation manifest of linux/amd64") {
		t.Fatalf("PushIndex with a missing attestation: %v", err)
	}
}
