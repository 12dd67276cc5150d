package publish

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/spec"
)

// Manifest is one platform's image manifest of an index.
type Manifest struct {
	Platform spec.Platform `json:"platform"`
	Digest   digest.Digest `json:"digest"`
}

// Registry publishes to registries, with the credentials of the Docker
// config (and its credential helpers).
type Registry struct {
	// Insecure lists registries (host[:port]) reached over plain HTTP.
	Insecure []string
	// Keychain finds credentials; nil is the Docker config's.
	Keychain authn.Keychain
	// Transport carries the requests; nil is go-containerregistry's.
	Transport http.RoundTripper
}

func (r Registry) nameOpts(repo string) []name.Option {
	host, _, _ := strings.Cut(repo, "/")
	if slices.Contains(r.Insecure, host) {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (r Registry) remoteOpts(ctx context.Context) []remote.Option {
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if r.Transport != nil {
		opts = append(opts, remote.WithTransport(r.Transport))
	}
	return opts
}

// IsInsecure tells whether repo's registry is reached over plain HTTP.
func (r Registry) IsInsecure(repo string) bool { return len(r.nameOpts(repo)) > 0 }

// PushIndex pushes, by digest, the index of the manifests (already in
// repo) and returns its digest. The index is the same bytes for the same
// manifests, whichever nodes built them.
func (r Registry) PushIndex(ctx context.Context, repo string, manifests []Manifest, annotations map[string]string) (digest.Digest, error) {
	var adds []mutate.IndexAddendum
	for _, m := range manifests {
		ref, err := name.NewDigest(repo+"@"+m.Digest.String(), r.nameOpts(repo)...)
		if err != nil {
			return "", err
		}
		desc, err := remote.Get(ref, r.remoteOpts(ctx)...)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", ref, err)
		}
		img, err := desc.Image()
		if err != nil {
			return "", fmt.Errorf("%s is not an image: %w", ref, err)
		}
		adds = append(adds, addendum(img, desc.MediaType, m.Platform))
	}
	idx := index(adds, annotations)
	d, err := idx.Digest()
	if err != nil {
		return "", err
	}
	ref, err := name.NewDigest(repo+"@"+d.String(), r.nameOpts(repo)...)
	if err != nil {
		return "", err
	}
	if err := remote.WriteIndex(ref, idx, r.remoteOpts(ctx)...); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	return digest.Digest(d.String()), nil
}

// addendum is one entry of an index: the image and its platform.
func addendum(img v1.Image, mt types.MediaType, p spec.Platform) mutate.IndexAddendum {
	return mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
		MediaType: mt,
		Platform:  &v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant},
	}}
}

// index is the one way bricklayer makes an index: an OCI index of the
// manifests in the order given (the spec's platform order), with the
// image's annotations (none: no annotations field).
func index(adds []mutate.IndexAddendum, annotations map[string]string) v1.ImageIndex {
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	if len(annotations) == 0 {
		return idx
	}
	return mutate.Annotations(idx, annotations).(v1.ImageIndex)
}
