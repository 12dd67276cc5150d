package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/buildkit/util/attestation"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/solve"
)

// solveShared pushes the requests' platforms to their repository as
// BuildKit pushes a session's multi-platform result by digest: one index
// of their images, then (with attest) their attestation manifests. It
// records each platform's manifests in f.pushed.
func (f *fakeSolver) solveShared(ctx context.Context, reqs []solve.Request) ([]*solve.Result, error) {
	var imgs, atts []mutate.IndexAddendum
	for _, req := range reqs {
		f.ev.add("solve %s %s", req.Image, req.Platform)
		f.mu.Lock()
		f.reqs = append(f.reqs, req)
		f.mu.Unlock()
		img, err := random.Image(64, 1)
		if err != nil {
			return nil, err
		}
		d, _ := img.Digest()
		p := req.Platform
		imgs = append(imgs, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{MediaType: types.OCIManifestSchema1, Platform: &v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}}})
		m := fmt.Sprintf("%s %s %s", req.Image, p, d)
		if f.attest {
			att, err := random.Image(64, 1)
			if err != nil {
				return nil, err
			}
			ad, _ := att.Digest()
			atts = append(atts, mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
				MediaType: types.OCIManifestSchema1,
				Platform:  &v1.Platform{OS: "unknown", Architecture: "unknown"},
				Annotations: map[string]string{
					attestation.DockerAnnotationReferenceType:   attestation.DockerAnnotationReferenceTypeDefault,
					attestation.DockerAnnotationReferenceDigest: d.String(),
				},
			}})
			m += " " + ad.String()
		}
		f.mu.Lock()
		f.pushed = append(f.pushed, m)
		f.mu.Unlock()
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), append(imgs, atts...)...)
	d, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	pinned, err := name.NewDigest(reqs[0].Repository+"@"+d.String(), name.Insecure)
	if err != nil {
		return nil, err
	}
	if err := remote.WriteIndex(pinned, idx, remote.WithContext(ctx)); err != nil {
		return nil, err
	}
	var out []*solve.Result
	for _, req := range reqs {
		out = append(out, &solve.Result{Image: req.Image, Platform: req.Platform, Node: "fake", Manifest: digest.Digest(d.String()), Shared: true})
	}
	return out, nil
}

// TestSharedSession: what a session of several platforms pushed (one
// index of them all) is read back once, so each platform's result names
// its own image manifest and attestation, in the spec's order, and the
// index bricklayer assembles lists them.
func TestSharedSession(t *testing.T) {
	for _, attest := range []bool{false, true} {
		t.Run(fmt.Sprintf("attest=%v", attest), func(t *testing.T) {
			srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			s := load(t, `
platforms: ["linux/arm/v7", "linux/amd64", "linux/arm64"]
images: {
	a: {repository: "`+host+`/acme/a", from: "scratch", steps: [{run: "true"}], tags: ["1"]}
	b: {repository: "`+host+`/acme/b", from: "scratch", steps: [{run: "true"}], tags: ["1"]}
}`)
			sv, pub := newFakes()
			sv.share, sv.attest = host, attest
			results, err := run(context.Background(), s, sv, pub, runOpts{Push: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range results {
				for _, p := range r.Platforms {
					m := fmt.Sprintf("%s %s %s", r.Name, p.Platform, p.Digest)
					if attest {
						m += " " + p.Attestation.String()
					} else if p.Attestation != "" {
						t.Errorf("%s %s: attestation %s without provenance", r.Name, p.Platform, p.Attestation)
					}
					got = append(got, m)
				}
			}
			sv.mu.Lock()
			want := strings.Join(sv.pushed, "\n")
			sv.mu.Unlock()
			// The fake pushes an image's platforms in the spec's order.
			if g := strings.Join(got, "\n"); !sameLines(g, want) {
				t.Errorf("results:\n%s\nwant what was pushed:\n%s", g, want)
			}
			for _, r := range results {
				if r.Platforms[0].Platform != (platform.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}) {
					t.Errorf("%s: platforms %v, want the spec's order", r.Name, r.Platforms)
				}
			}
			if len(pub.pushes) != 2 {
				t.Fatalf("%d indexes assembled, want 2", len(pub.pushes))
			}
			for _, push := range pub.pushes {
				for _, m := range push.manifests {
					if m.Digest == "" || attest != (m.Attestation != "") {
						t.Errorf("index of %s: entry %+v", push.repo, m)
					}
				}
			}
			if n := countPrefix(sv.ev.all(), "unfold "); n != 0 {
				t.Errorf("%d per-platform Unfold calls for shared sessions", n)
			}
		})
	}
}

// sameLines says a and b hold the same lines, in any order.
func sameLines(a, b string) bool {
	count := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(b, "\n") {
		count[l]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}
