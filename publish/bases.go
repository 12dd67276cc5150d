package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/lock"
	"github.com/bricklayer-build/bricklayer/ref"
)

// Bases resolves the base images a plan lowers, from their registries,
// as BuildKit's own resolver does in the daemon: a reference resolves to
// the digest of what it names (an index, for a multi-platform image) and
// to the config of that image's best match for the platform asked. Each
// reference is read once per run, so every platform of every image that
// starts from it starts from the same digest. It is safe for concurrent
// use and implements BuildKit's sourceresolver.ImageMetaResolver.
type Bases struct {
	Registry Registry
	// Pins, when set, are the digests the references must resolve to (a
	// runner's record, or a lock): a pinned reference is read by digest,
	// and with Strict one without a pin is refused.
	Pins   map[string]digest.Digest
	Strict bool
	// CheckPlatform refuses an image that is not an index and whose
	// config names another platform than the one asked (BuildKit would
	// pull it and run it anyway).
	CheckPlatform bool

	mu   sync.Mutex
	refs map[string]*baseRef
}

// baseRef is one reference, read once it was read without error.
type baseRef struct {
	mu      sync.Mutex
	repo    name.Repository
	desc    *remote.Descriptor
	configs map[string]resolved // by platforms.Format
}

// resolved is the image a reference gives for one platform.
type resolved struct {
	manifest digest.Digest
	config   []byte
}

// UnpinnedError is a base image Strict resolution has no digest for.
type UnpinnedError struct{ Ref string }

func (e *UnpinnedError) Error() string {
	return fmt.Sprintf("base image %s has no recorded digest", e.Ref)
}

// ResolveImageConfig implements sourceresolver.ImageMetaResolver.
func (b *Bases) ResolveImageConfig(ctx context.Context, raw string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = platforms.Normalize(*opt.ImageOpt.Platform)
	}
	r := b.entry(raw)
	// Each call reads with its own context: a caller that gave up (the
	// converter cancels its other resolutions on an error) fails only
	// its own call, and what was read stays for the others.
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.desc == nil {
		repo, desc, err := b.get(ctx, raw)
		if err != nil {
			return "", "", nil, err
		}
		r.repo, r.desc = repo, desc
	}
	cfg, err := r.config(ctx, b, raw, p)
	if err != nil {
		return "", "", nil, err
	}
	return raw, digest.Digest(r.desc.Digest.String()), cfg, nil
}

// Resolved are the references read so far and their digests: what a
// build records so that publish lowers the same graphs.
func (b *Bases) Resolved() map[string]digest.Digest {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]digest.Digest{}
	for _, k := range slices.Sorted(maps.Keys(b.refs)) {
		r := b.refs[k]
		r.mu.Lock()
		if r.desc != nil {
			out[k] = digest.Digest(r.desc.Digest.String())
		}
		r.mu.Unlock()
	}
	return out
}

// Lock is what was resolved, as a lock: each reference's digest and,
// per platform asked, its image manifest and config.
func (b *Bases) Lock() *lock.File {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := &lock.File{Version: lock.Version, Bases: map[string]*lock.Base{}}
	for ref, r := range b.refs {
		r.mu.Lock()
		if r.desc != nil {
			lb := &lock.Base{Digest: digest.Digest(r.desc.Digest.String()), Platforms: map[string]*lock.Platform{}}
			for p, c := range r.configs {
				lb.Platforms[p] = &lock.Platform{Manifest: c.manifest, Config: c.config}
			}
			f.Bases[ref] = lb
		}
		r.mu.Unlock()
	}
	return f
}

func (b *Bases) entry(raw string) *baseRef {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refs == nil {
		b.refs = map[string]*baseRef{}
	}
	r := b.refs[raw]
	if r == nil {
		r = &baseRef{configs: map[string]resolved{}}
		b.refs[raw] = r
	}
	return r
}

// get reads what raw names, or its pin.
func (b *Bases) get(ctx context.Context, raw string) (name.Repository, *remote.Descriptor, error) {
	named, err := reference.ParseNormalizedNamed(raw)
	if err != nil {
		return name.Repository{}, nil, fmt.Errorf("base image %q: %w", raw, err)
	}
	named = reference.TagNameOnly(named)
	var opts []name.Option
	if slices.Contains(b.Registry.Insecure, ref.Host(reference.Domain(named))) {
		opts = append(opts, name.Insecure)
	}
	s := named.String()
	if pin, ok := b.Pins[raw]; ok {
		s = ref.Digested(reference.TrimNamed(named).String(), pin)
	} else if b.Strict {
		return name.Repository{}, nil, &UnpinnedError{Ref: raw}
	}
	nr, err := name.ParseReference(s, opts...)
	if err != nil {
		return name.Repository{}, nil, fmt.Errorf("base image %q: %w", raw, err)
	}
	desc, err := remote.Get(nr, b.Registry.remoteOpts(ctx)...)
	if err != nil {
		return name.Repository{}, nil, err
	}
	return nr.Context(), desc, nil
}

// config is the config of the image for p: the manifest's own, or that
// of the index's best match, as containerd orders platforms. r.mu is
// held.
func (r *baseRef) config(ctx context.Context, b *Bases, raw string, p ocispecs.Platform) ([]byte, error) {
	key := platforms.Format(p)
	if c, ok := r.configs[key]; ok {
		return c.config, nil
	}
	image := r.desc.Digest
	if r.desc.MediaType.IsIndex() {
		idx, err := r.desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("base image %s: %w", raw, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("base image %s: %w", raw, err)
		}
		match := platforms.Only(p)
		var best *v1.Descriptor
		for i, m := range im.Manifests {
			if m.Platform == nil || !m.MediaType.IsImage() {
				continue
			}
			mp := ocispecs.Platform{OS: m.Platform.OS, Architecture: m.Platform.Architecture, Variant: m.Platform.Variant}
			if !match.Match(mp) {
				continue
			}
			if best == nil || match.Less(mp, ocispecs.Platform{OS: best.Platform.OS, Architecture: best.Platform.Architecture, Variant: best.Platform.Variant}) {
				best = &im.Manifests[i]
			}
		}
		if best == nil {
			return nil, &NoPlatformError{Ref: raw, Platform: key, Has: indexPlatforms(im.Manifests)}
		}
		image = best.Digest
	}
	// Read with this call's context: a descriptor's lazy reads keep the
	// context it was read with.
	img, err := remote.Image(r.repo.Digest(image.String()), b.Registry.remoteOpts(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("base image %s for %s: %w", raw, key, err)
	}
	// The registry says how big the config is; a hostile one must not
	// make the plan read gigabytes (manifests are capped by the library).
	mf, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("base image %s for %s: %w", raw, key, err)
	}
	if mf.Config.Size > maxConfig {
		return nil, fmt.Errorf("base image %s for %s: its config is %d bytes, more than bricklayer reads (%d)", raw, key, mf.Config.Size, maxConfig)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("base image %s for %s: reading its config: %w", raw, key, err)
	}
	if b.CheckPlatform && !r.desc.MediaType.IsIndex() {
		var c ocispecs.Image
		if err := json.Unmarshal(cfg, &c); err != nil {
			return nil, fmt.Errorf("base image %s: its config: %w", raw, err)
		}
		if got := platforms.Normalize(c.Platform); !platforms.Only(p).Match(got) {
			return nil, &NoPlatformError{Ref: raw, Platform: key, Has: []string{platforms.Format(got)}}
		}
	}
	r.configs[key] = resolved{manifest: digest.Digest(image.String()), config: cfg}
	return cfg, nil
}

// NoPlatformError is a base image that has no image for a platform the
// spec builds from it: the spec's mistake (exit 1, at the from that names
// it), found before a build pulls it.
type NoPlatformError struct {
	Ref, Platform string
	// Has are the platforms it has.
	Has []string
}

func (e *NoPlatformError) Error() string {
	return fmt.Sprintf("base image %s has no image for %s (it has %s)", e.Ref, e.Platform, strings.Join(e.Has, ", "))
}

// Kind makes it a check failure, as a spec mistake is.
func (e *NoPlatformError) Kind() errkind.Kind { return errkind.Check }

// indexPlatforms are the platforms of an index's images, in its order.
func indexPlatforms(ms []v1.Descriptor) []string {
	var out []string
	for _, m := range ms {
		if m.Platform != nil && m.Platform.OS != "unknown" && m.MediaType.IsImage() {
			p := platforms.Format(platforms.Normalize(ocispecs.Platform{OS: m.Platform.OS, Architecture: m.Platform.Architecture, Variant: m.Platform.Variant}))
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}
