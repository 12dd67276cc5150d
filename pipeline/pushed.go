package pipeline

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/buildkit/util/attestation"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/ref"
)

// unfoldShared reads the index BuildKit pushed by digest d to repo for the
// platforms one session built (their image manifests, then attestation
// manifests naming them) and gives each platform's image manifest and the
// attestation manifest about it.
func unfoldShared(ctx context.Context, pub Publisher, repo string, d digest.Digest) (map[platform.Platform]publish.Manifest, error) {
	pinned, err := name.NewDigest(ref.Digested(repo, d), pub.NameOptions(repo)...)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(pinned, pub.RemoteOptions(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", pinned, err)
	}
	if !desc.MediaType.IsIndex() {
		return nil, fmt.Errorf("%s is a %s, not an index", pinned, desc.MediaType)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", pinned, err)
	}
	out := map[platform.Platform]publish.Manifest{}
	byDigest := map[string]platform.Platform{}
	for _, m := range im.Manifests {
		if m.Platform == nil || m.Annotations[attestation.DockerAnnotationReferenceType] != "" || !m.MediaType.IsImage() {
			continue
		}
		p := platform.Of(ocispecs.Platform{OS: m.Platform.OS, Architecture: m.Platform.Architecture, Variant: m.Platform.Variant})
		if _, dup := out[p]; dup {
			return nil, fmt.Errorf("%s holds two images for %s", pinned, p)
		}
		out[p] = publish.Manifest{Platform: p, Digest: digest.Digest(m.Digest.String())}
		byDigest[m.Digest.String()] = p
	}
	for _, m := range im.Manifests {
		if m.Annotations[attestation.DockerAnnotationReferenceType] != attestation.DockerAnnotationReferenceTypeDefault {
			continue
		}
		if p, ok := byDigest[m.Annotations[attestation.DockerAnnotationReferenceDigest]]; ok {
			e := out[p]
			e.Attestation = digest.Digest(m.Digest.String())
			out[p] = e
		}
	}
	return out, nil
}
