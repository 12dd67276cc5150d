package publish_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/buildkit/client/llb/imagemetaresolver"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/publish"
)

// basesTestIndex pushes to repo:tag an index of one image per platform,
// each config naming its platform, and returns the index's digest.
func basesTestIndex(t *testing.T, repo, tag string, plats ...v1.Platform) digest.Digest {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, p := range plats {
		img := pubTestImage(t)
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
		cf.Config.Env = []string{"PATH=/" + p.Architecture + p.Variant}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		pp := p
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &pp}})
	}
	idx := mutate.AppendManifests(empty.Index, adds...)
	r, err := name.NewTag(repo+":"+tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return digest.Digest(d.String())
}

// TestBasesAsBuildKit: for every platform asked, Bases gives the digest
// and config BuildKit's own resolver gives, variants and fallbacks
// included, so a plan made with it is the graph the daemon would make.
func TestBasesAsBuildKit(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	idx := basesTestIndex(t, repo, "multi",
		v1.Platform{OS: "linux", Architecture: "amd64"},
		v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"},
		v1.Platform{OS: "linux", Architecture: "arm", Variant: "v6"},
		v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"},
	)
	ctx := context.Background()
	bases := &publish.Bases{Registry: reg}
	bk := imagemetaresolver.New()
	for _, p := range []ocispecs.Platform{
		{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm64"},
		{OS: "linux", Architecture: "arm", Variant: "v7"},
		{OS: "linux", Architecture: "arm", Variant: "v6"},
		{OS: "linux", Architecture: "arm", Variant: "v8"},
	} {
		opt := sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p}}
		_, d, cfg, err := bases.ResolveImageConfig(ctx, repo+":multi", opt)
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		_, wantD, wantCfg, err := bk.ResolveImageConfig(ctx, repo+":multi", opt)
		if err != nil {
			t.Fatalf("BuildKit, %v: %v", p, err)
		}
		if d != wantD || d != idx {
			t.Errorf("%v: digest %s, BuildKit's %s (index %s)", p, d, wantD, idx)
		}
		if !bytes.Equal(cfg, wantCfg) {
			t.Errorf("%v: config\n%s\nBuildKit's\n%s", p, cfg, wantCfg)
		}
	}
	if _, _, _, err := bases.ResolveImageConfig(ctx, repo+":multi", sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &ocispecs.Platform{OS: "linux", Architecture: "s390x"}}}); err == nil {
		t.Error("s390x resolved; the index has none")
	}
	if got := bases.Resolved(); len(got) != 1 || got[repo+":multi"] != idx {
		t.Errorf("Resolved() = %v", got)
	}
}

// TestBasesPinned: a pinned reference resolves to its pin even after
// the tag moved; with Strict, one without a pin is refused.
func TestBasesPinned(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	amd := v1.Platform{OS: "linux", Architecture: "amd64"}
	first := basesTestIndex(t, repo, "moving", amd)
	basesTestIndex(t, repo, "moving", amd)
	ctx := context.Background()
	opt := sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &ocispecs.Platform{OS: "linux", Architecture: "amd64"}}}
	b := &publish.Bases{Registry: reg, Pins: map[string]digest.Digest{repo + ":moving": first}, Strict: true}
	if _, d, _, err := b.ResolveImageConfig(ctx, repo+":moving", opt); err != nil || d != first {
		t.Errorf("pinned: %s %v, want %s", d, err, first)
	}
	_, _, _, err := b.ResolveImageConfig(ctx, repo+":other", opt)
	var up *publish.UnpinnedError
	if !errors.As(err, &up) || up.Ref != repo+":other" {
		t.Errorf("unpinned under Strict: %v", err)
	}
}

// TestBasesCallerGaveUp: a call whose context is cancelled fails alone;
// the next call reads the reference (the Dockerfile converter cancels its
// other resolutions when one fails).
func TestBasesCallerGaveUp(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	amd := v1.Platform{OS: "linux", Architecture: "amd64"}
	want := basesTestIndex(t, repo, "t", amd)
	b := &publish.Bases{Registry: reg}
	opt := sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &ocispecs.Platform{OS: "linux", Architecture: "amd64"}}}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, err := b.ResolveImageConfig(gone, repo+":t", opt); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: %v", err)
	}
	if _, d, _, err := b.ResolveImageConfig(context.Background(), repo+":t", opt); err != nil || d != want {
		t.Errorf("next call: %s %v, want %s", d, err, want)
	}
}

// TestBasesConfigTooBig: a manifest that declares a config larger than
// bricklayer reads fails the resolution before the config is fetched.
func TestBasesConfigTooBig(t *testing.T) {
	repo, reg := pubTestRegistry(t)
	cfg := []byte(`{"architecture":"amd64","os":"linux"}`)
	mf := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`,
		digest.FromBytes(cfg), int64(1)<<40)
	r, err := name.NewTag(repo+":huge", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(r, rawManifest{[]byte(mf), types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}
	opt := sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &ocispecs.Platform{OS: "linux", Architecture: "amd64"}}}
	b := &publish.Bases{Registry: reg}
	_, _, _, err = b.ResolveImageConfig(context.Background(), repo+":huge", opt)
	if err == nil || !strings.Contains(err.Error(), "more than bricklayer reads") {
		t.Errorf("config of 1 TiB: %v", err)
	}
}

// rawManifest is bytes pushed as they are.
type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.b, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }
