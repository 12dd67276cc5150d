package publish_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/publish"
)

// pubTestPlatformImage is a random image whose config gives the platform
// os/arch/variant, written as a config may write it.
func pubTestPlatformImage(t *testing.T, os, arch, variant string) v1.Image {
	t.Helper()
	img := pubTestImage(t)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = os, arch, variant
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

func pubTestPlatform(t *testing.T, s string) platform.Platform {
	t.Helper()
	p, err := platform.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pubTestRecorder records the requests that pass through it.
type pubTestRecorder struct {
	mu   sync.Mutex
	reqs []string
}

func (r *pubTestRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *pubTestRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

// TestCheck: manifests that are what they are listed as (platforms
// compared as spec normalises them: arm is arm/v7, arm64/v8 is arm64;
// an attestation about its image) pass, and the index pushed from what
// Check read is PushIndex's, without reading the manifests again.
func TestCheck(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	rec := &pubTestRecorder{}
	reg.Transport = rec
	ctx := context.Background()
	amd := pubTestPlatformImage(t, "linux", "amd64", "")
	arm64 := pubTestPlatformImage(t, "linux", "arm64", "v8")
	arm := pubTestPlatformImage(t, "linux", "arm", "")
	manifests := []publish.Manifest{
		{Platform: pubTestAmd64, Digest: pubTestPushImage(t, repo, amd)},
		{Platform: pubTestPlatform(t, "linux/arm64"), Digest: pubTestPushImage(t, repo, arm64), Attestation: pubTestPushImage(t, repo, pubTestAttestation(t, arm64))},
		{Platform: pubTestArmV7, Digest: pubTestPushImage(t, repo, arm)},
	}
	checked, err := reg.Check(ctx, []publish.Index{{Repository: repo, Manifests: manifests}})
	if err != nil {
		t.Fatal(err)
	}
	rec.take()
	d, err := reg.PushChecked(ctx, checked[0], map[string]string{"org.opencontainers.image.title": "app"})
	if err != nil {
		t.Fatal(err)
	}
	pushed := false
	for _, r := range rec.take() {
		if strings.HasPrefix(r, "GET ") && (strings.Contains(r, "/manifests/") || strings.Contains(r, "/blobs/")) {
			t.Errorf("PushChecked read again what Check read: %s", r)
		}
		pushed = pushed || r == "PUT /v2/test/app/manifests/"+d.String()
	}
	if !pushed {
		t.Errorf("PushChecked's requests did not go through the recorder")
	}
	want, err := reg.PushIndex(ctx, repo, manifests, map[string]string{"org.opencontainers.image.title": "app"})
	if err != nil {
		t.Fatal(err)
	}
	if d != want {
		t.Errorf("PushChecked gave %s, PushIndex %s", d, want)
	}
	if pubTestHead(t, repo+"@"+d.String()) != d {
		t.Errorf("the index %s is not in the registry", d)
	}
	// A Checked that Check did not make is refused, not pushed empty.
	if _, err := reg.PushChecked(ctx, &publish.Checked{Index: publish.Index{Repository: repo, Manifests: manifests}}, nil); err == nil {
		t.Error("PushChecked of an index Check did not read succeeded")
	}
}

// TestCheckMismatches: every manifest that is not what it is listed as is
// reported, in order, by index and entry, saying what it really is; none
// of the indexes is returned.
func TestCheckMismatches(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	ctx := context.Background()
	amd := pubTestPlatformImage(t, "linux", "amd64", "")
	arm64 := pubTestPlatformImage(t, "linux", "arm64", "")
	armv6 := pubTestPlatformImage(t, "linux", "arm", "v6")
	dAmd, dArm64, dArmv6 := pubTestPushImage(t, repo, amd), pubTestPushImage(t, repo, arm64), pubTestPushImage(t, repo, armv6)
	attAmd := pubTestPushImage(t, repo, pubTestAttestation(t, amd))
	noPlatform := pubTestPushImage(t, repo, pubTestPlatformImage(t, "", "", ""))
	idx := pubTestIndex(t, reg, repo)
	missing := pubTestMissingDigest("check")
	arm64P := pubTestPlatform(t, "linux/arm64")

	// Another repository of the same registry holds the arm64 image too.
	other := strings.TrimSuffix(repo, "/test/app") + "/test/other"
	dOther := pubTestPushImage(t, other, pubTestPlatformImage(t, "linux", "arm64", ""))

	indexes := []publish.Index{
		{Repository: repo, Manifests: []publish.Manifest{{Platform: pubTestAmd64, Digest: dAmd}, {Platform: arm64P, Digest: dArm64}}},
		{Repository: repo, Manifests: []publish.Manifest{
			{Platform: pubTestAmd64, Digest: dArm64},
			{Platform: arm64P, Digest: idx},
			{Platform: pubTestArmV7, Digest: dArmv6},
		}},
		{Repository: repo, Manifests: []publish.Manifest{
			{Platform: pubTestAmd64, Digest: missing},
			{Platform: arm64P, Digest: dArm64, Attestation: attAmd},
		}},
		{Repository: repo, Manifests: []publish.Manifest{
			{Platform: pubTestAmd64, Digest: dAmd, Attestation: dArm64},
			{Platform: arm64P, Digest: noPlatform},
		}},
		{Repository: repo, Manifests: []publish.Manifest{{Platform: arm64P, Digest: dOther}}},
	}
	_, err := reg.Check(ctx, indexes)
	var mm *publish.MismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("Check: %v, want a MismatchError", err)
	}
	var got []string
	for _, m := range mm.Mismatches {
		got = append(got, fmt.Sprintf("%d.%d %s %s", m.Index, m.Entry, m.Platform, m.Msg))
	}
	want := []string{
		fmt.Sprintf("1.0 linux/amd64 names %s, an image of linux/arm64", dArm64),
		fmt.Sprintf("1.1 linux/arm64 names %s, an image index, where an image manifest was expected", idx),
		fmt.Sprintf("1.2 linux/arm/v7 names %s, an image of linux/arm/v6", dArmv6),
		fmt.Sprintf("2.0 linux/amd64 names %s, which %s does not hold", missing, repo),
		fmt.Sprintf("2.1 linux/arm64 has the attestation %s, which is about %s, not about %s", attAmd, dAmd, dArm64),
		fmt.Sprintf("3.0 linux/amd64 has the attestation %s, which holds no in-toto statement", dArm64),
		fmt.Sprintf("3.1 linux/arm64 names %s, whose config names no platform", noPlatform),
		fmt.Sprintf("4.0 linux/arm64 names %s, which %s does not hold", dOther, repo),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mismatches:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// pubTestGate holds every manifest read until eight are under way at
// once (so reads less concurrent than that fail, after a bound, rather
// than pass), and records the most requests in flight together.
type pubTestGate struct {
	mu       sync.Mutex
	inFlight int
	most     int
	reading  int
	open     chan struct{}
}

func (g *pubTestGate) RoundTrip(req *http.Request) (*http.Response, error) {
	g.mu.Lock()
	g.inFlight++
	g.most = max(g.most, g.inFlight)
	manifest := req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/manifests/")
	if manifest {
		g.reading++
		if g.reading == 8 {
			close(g.open)
		}
	}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	if manifest {
		select {
		case <-g.open:
		case <-time.After(10 * time.Second):
			return nil, errors.New("eight manifest reads were never under way at once")
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestCheckConcurrent: Check reads eight manifests at once, never more,
// however many platforms and images.
func TestCheckConcurrent(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	var indexes []publish.Index
	for range 5 {
		var ms []publish.Manifest
		for range 4 {
			ms = append(ms, publish.Manifest{Platform: pubTestAmd64, Digest: pubTestPushImage(t, repo, pubTestPlatformImage(t, "linux", "amd64", ""))})
		}
		indexes = append(indexes, publish.Index{Repository: repo, Manifests: ms})
	}
	gate := &pubTestGate{open: make(chan struct{})}
	reg.Transport = gate
	checked, err := reg.Check(context.Background(), indexes)
	if err != nil {
		t.Fatal(err)
	}
	if len(checked) != len(indexes) {
		t.Fatalf("%d indexes checked, want %d", len(checked), len(indexes))
	}
	if gate.most > 8 {
		t.Errorf("%d requests at once, want at most 8", gate.most)
	}
}
