package publish

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/ref"
)

// Manifest is one platform's image manifest of an index, and the
// attestation manifest about it when BuildKit attached provenance.
type Manifest struct {
	Platform    platform.Platform `json:"platform"`
	Digest      digest.Digest     `json:"digest"`
	Attestation digest.Digest     `json:"attestation,omitempty"`
}

// Registry publishes to registries, with the credentials of the Docker
// config (and its credential helpers).
type Registry struct {
	// Insecure lists registries reached over plain HTTP.
	Insecure []ref.Host
	// Keychain finds credentials; nil is the Docker config's.
	Keychain authn.Keychain
	// Transport carries the requests; nil is go-containerregistry's.
	Transport http.RoundTripper
	// tagRequests bounds the requests of a tag move in flight at once to
	// one registry; 0 is defaultTagLimit. tagGrace is how long moves in
	// flight when the move is stopped get to be answered; 0 is
	// defaultTagGrace.
	tagRequests int
	tagGrace    time.Duration
	// conns, when set (Shared), are the connections of every request.
	conns *conns
}

// nameOpts are the options of go-containerregistry names in repo: plain
// HTTP when its registry, read as the reference grammar reads it, is one
// of Insecure. A repository the grammar refuses is left to the name parse
// that follows, which reports it.
func (r Registry) nameOpts(repo string) []name.Option {
	host, err := ref.HostOf(repo)
	if err == nil && slices.Contains(r.Insecure, host) {
		return []name.Option{name.Insecure}
	}
	return nil
}

// IsInsecure tells whether repo's registry is reached over plain HTTP.
func (r Registry) IsInsecure(repo string) bool { return len(r.nameOpts(repo)) > 0 }

// PushIndex pushes, by digest, the index of the manifests (already in
// repo) and returns its digest. The index is the same bytes for the same
// manifests, whichever nodes built them. Its entries are read a few at a
// time (the tag moves' limit), not one after another: on a registry far
// away each read is a round trip.
func (r Registry) PushIndex(ctx context.Context, repo string, manifests []Manifest, annotations map[string]string) (digest.Digest, error) {
	adds := make([]mutate.IndexAddendum, len(manifests))
	atts := make([]*mutate.IndexAddendum, len(manifests))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.tagLimit())
	for i, m := range manifests {
		g.Go(func() error {
			img, mt, err := r.image(gctx, repo, m.Digest)
			if err != nil {
				return err
			}
			adds[i] = addendum(img, mt, m.Platform)
			return nil
		})
		if m.Attestation == "" {
			continue
		}
		g.Go(func() error {
			att, mt, err := r.image(gctx, repo, m.Attestation)
			if err != nil {
				return fmt.Errorf("the attestation manifest of %s: %w", m.Platform, err)
			}
			a := attestationAddendum(att, mt, m.Digest)
			atts[i] = &a
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	for _, a := range atts {
		if a != nil {
			adds = append(adds, *a)
		}
	}
	return r.push(ctx, repo, adds, annotations)
}

// push makes the index of the entries and pushes it to repo by digest.
// Every entry was read from repo just before, so only the index is sent:
// no request asks again whether each entry is there.
func (r Registry) push(ctx context.Context, repo string, entries []mutate.IndexAddendum, annotations map[string]string) (digest.Digest, error) {
	idx := index(entries, annotations)
	d, err := idx.Digest()
	if err != nil {
		return "", err
	}
	pinned, err := r.digestRef(repo, digest.Digest(d.String()))
	if err != nil {
		return "", err
	}
	if err := remote.Put(pinned, idx, r.remoteOpts(ctx)...); err != nil {
		return "", fmt.Errorf("pushing %s: %w", pinned, err)
	}
	if r.conns != nil {
		// The bytes just put, for MoveTags: the index is its own digest.
		raw, err := idx.RawManifest()
		if err != nil {
			return "", err
		}
		mt, err := idx.MediaType()
		if err != nil {
			return "", err
		}
		r.conns.indexes.put(pinned, &remote.Descriptor{
			Descriptor: v1.Descriptor{MediaType: mt, Size: int64(len(raw)), Digest: d},
			Manifest:   raw,
		})
	}
	return digest.Digest(d.String()), nil
}

// digestRef names d in repo for go-containerregistry, over plain HTTP
// when repo's registry is insecure.
func (r Registry) digestRef(repo string, d digest.Digest) (name.Digest, error) {
	return name.NewDigest(ref.Digested(repo, d), r.nameOpts(repo)...)
}

// image reads the image manifest of digest d in repo.
func (r Registry) image(ctx context.Context, repo string, d digest.Digest) (v1.Image, types.MediaType, error) {
	pinned, err := r.digestRef(repo, d)
	if err != nil {
		return nil, "", err
	}
	if r.conns != nil {
		if k, ok := r.conns.images.get(pinned); ok {
			return k.img, k.mt, nil
		}
	}
	desc, err := remote.Get(pinned, r.remoteOpts(ctx)...)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", pinned, err)
	}
	// Descriptor.Image would pick an image out of an index: an entry
	// must be the manifest it names.
	if !desc.MediaType.IsImage() {
		return nil, "", fmt.Errorf("%s is a %s, not an image manifest", pinned, desc.MediaType)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, "", fmt.Errorf("%s is not an image: %w", pinned, err)
	}
	if r.conns != nil {
		r.conns.images.put(pinned, knownImage{img, desc.MediaType})
	}
	return img, desc.MediaType, nil
}

// addendum is one entry of an index: the image and its platform.
func addendum(img v1.Image, mt types.MediaType, p platform.Platform) mutate.IndexAddendum {
	return mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
		MediaType: mt,
		Platform:  &v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant},
	}}
}

// index is the one way bricklayer makes an index: an OCI index of the
// manifests in the order given (the spec's platform order, then their
// attestation manifests), with the image's annotations (none: no
// annotations field).
func index(adds []mutate.IndexAddendum, annotations map[string]string) v1.ImageIndex {
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	if len(annotations) == 0 {
		return idx
	}
	return mutate.Annotations(idx, annotations).(v1.ImageIndex)
}
