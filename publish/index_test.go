package publish_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/ref"
)

var (
	pubTestArmV7 = platform.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	pubTestAmd64 = platform.Platform{OS: "linux", Architecture: "amd64"}
)

// pubTestRegistry starts an in-process registry and returns the
// repository "HOST:PORT/test/app" and a Registry reaching it over HTTP.
func pubTestRegistry(t *testing.T) (string, publish.Registry) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	return host + "/test/app", publish.Registry{
		Insecure: []ref.Host{ref.Host(host)},
		Keychain: authn.NewMultiKeychain(),
	}
}

// pubTestImage is a random image.
func pubTestImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// pubTestPushImage pushes img to repo by digest and returns the digest.
func pubTestPushImage(t *testing.T, repo string, img v1.Image) digest.Digest {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewDigest(repo+"@"+d.String(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return digest.Digest(d.String())
}

// pubTestIndex pushes two random images and their index (by PushIndex)
// to repo and returns the index digest.
func pubTestIndex(t *testing.T, reg publish.Registry, repo string) digest.Digest {
	t.Helper()
	a := pubTestPushImage(t, repo, pubTestImage(t))
	b := pubTestPushImage(t, repo, pubTestImage(t))
	d, err := reg.PushIndex(context.Background(), repo, []publish.Manifest{
		{Platform: pubTestArmV7, Digest: a},
		{Platform: pubTestAmd64, Digest: b},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pubTestHead is the digest ref (repo:tag or repo@digest) points at, ""
// when it does not exist.
func pubTestHead(t *testing.T, ref string) digest.Digest {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return ""
		}
		t.Fatalf("HEAD %s: %v", ref, err)
	}
	return digest.Digest(desc.Digest.String())
}

// pubTestMissingDigest is a digest no registry of the tests holds.
func pubTestMissingDigest(seed string) digest.Digest {
	return digest.Digest(fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(seed))))
}

// pubTestRT is a RoundTripper of a function.
type pubTestRT func(*http.Request) (*http.Response, error)

func (f pubTestRT) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// pubTestTagOf is the tag a manifest PUT writes, "" when req is not a
// PUT of a manifest by tag.
func pubTestTagOf(req *http.Request) string {
	if req.Method != http.MethodPut {
		return ""
	}
	before, tag, ok := strings.Cut(req.URL.Path, "/manifests/")
	if !ok || before == "" || strings.HasPrefix(tag, "sha256:") {
		return ""
	}
	return tag
}

func TestPushIndex(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	arm := pubTestPushImage(t, repo, pubTestImage(t))
	amd := pubTestPushImage(t, repo, pubTestImage(t))
	manifests := []publish.Manifest{
		{Platform: pubTestArmV7, Digest: arm},
		{Platform: pubTestAmd64, Digest: amd},
	}
	ctx := context.Background()
	d, err := reg.PushIndex(ctx, repo, manifests, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("PushIndex returned %q: %v", d, err)
	}

	ref, err := name.NewDigest(repo+"@"+d.String(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatalf("the index is not in the registry: %v", err)
	}
	if desc.Digest.String() != d.String() {
		t.Errorf("registry digest %s, PushIndex returned %s", desc.Digest, d)
	}
	if desc.MediaType != types.OCIImageIndex {
		t.Errorf("media type %s, want %s", desc.MediaType, types.OCIImageIndex)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex {
		t.Errorf("index mediaType field %q, want %q", im.MediaType, types.OCIImageIndex)
	}
	if len(im.Manifests) != len(manifests) {
		t.Fatalf("index has %d manifests, want %d", len(im.Manifests), len(manifests))
	}
	for i, m := range manifests {
		got := im.Manifests[i]
		if got.Digest.String() != m.Digest.String() {
			t.Errorf("manifest %d: digest %s, want %s", i, got.Digest, m.Digest)
		}
		if got.Platform == nil {
			t.Errorf("manifest %d: no platform", i)
			continue
		}
		if got.Platform.OS != m.Platform.OS || got.Platform.Architecture != m.Platform.Architecture || got.Platform.Variant != m.Platform.Variant {
			t.Errorf("manifest %d: platform %s/%s/%s, want %s", i, got.Platform.OS, got.Platform.Architecture, got.Platform.Variant, m.Platform)
		}
		if !got.MediaType.IsImage() {
			t.Errorf("manifest %d: media type %s is not an image's", i, got.MediaType)
		}
		if got.Size == 0 {
			t.Errorf("manifest %d: size 0", i)
		}
	}

	// Determinism: the same manifests give the same index.
	d2, err := reg.PushIndex(ctx, repo, manifests, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d2 != d {
		t.Errorf("second PushIndex gave %s, first %s", d2, d)
	}

	// The order is the one given: reversed manifests are another index.
	d3, err := reg.PushIndex(ctx, repo, []publish.Manifest{manifests[1], manifests[0]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d3 == d {
		t.Errorf("reversed manifests gave the same index %s", d3)
	}
}

func TestPushIndexMissingManifest(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	arm := pubTestPushImage(t, repo, pubTestImage(t))
	_, err := reg.PushIndex(context.Background(), repo, []publish.Manifest{
		{Platform: pubTestArmV7, Digest: arm},
		{Platform: pubTestAmd64, Digest: pubTestMissingDigest("missing manifest")},
	}, nil)
	if err == nil {
		t.Fatal("PushIndex of a manifest not in the registry succeeded")
	}
}

func TestPushIndexNotAnImage(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	idx := pubTestIndex(t, reg, repo)
	_, err := reg.PushIndex(context.Background(), repo, []publish.Manifest{
		{Platform: pubTestAmd64, Digest: idx},
	}, nil)
	if err == nil {
		t.Fatal("PushIndex of an index as a platform's manifest succeeded")
	}
}

func TestIsInsecure(t *testing.T) {
	reg := publish.Registry{Insecure: []ref.Host{"127.0.0.1:5000"}}
	if !reg.IsInsecure("127.0.0.1:5000/test/app") {
		t.Error("127.0.0.1:5000/test/app is not insecure")
	}
	if reg.IsInsecure("127.0.0.1:5001/test/app") {
		t.Error("127.0.0.1:5001/test/app is insecure")
	}
	if reg.IsInsecure("example.com/127.0.0.1:5000") {
		t.Error("example.com/127.0.0.1:5000 is insecure")
	}
	// The registry is the host the reference grammar reads, not the text
	// before the first slash: acme/app is on docker.io.
	if (publish.Registry{Insecure: []ref.Host{"acme"}}).IsInsecure("acme/app") {
		t.Error("acme/app is insecure for registry acme")
	}
}
