package publish

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/buildkit/util/attestation"
	digest "github.com/opencontainers/go-digest"
)

// With provenance, BuildKit exports each platform as an index of its image
// manifest and an attestation manifest (platform unknown/unknown) whose
// annotations name the image manifest it is about. bricklayer unfolds
// that index and folds both manifests into its own index, as buildx's
// multi-platform indexes hold them: images first, then attestations.

// attestationPlatform is the platform BuildKit gives attestation
// manifests, so that no runtime picks one as an image.
var attestationPlatform = v1.Platform{OS: "unknown", Architecture: "unknown"}

// isAttestation tells an attestation manifest from an image by the
// annotation BuildKit and buildx give it.
func isAttestation(d v1.Descriptor) bool {
	return d.Annotations[attestation.DockerAnnotationReferenceType] == attestation.DockerAnnotationReferenceTypeDefault
}

// unfold finds, in BuildKit's index of one platform, its image manifest
// and the attestation manifest about it (nil when it has none).
func unfold(im *v1.IndexManifest) (v1.Descriptor, *v1.Descriptor, error) {
	var images []v1.Descriptor
	for _, d := range im.Manifests {
		if d.MediaType.IsImage() && !isAttestation(d) {
			images = append(images, d)
		}
	}
	if len(images) != 1 {
		return v1.Descriptor{}, nil, fmt.Errorf("the index of one platform holds %d image manifests, want one", len(images))
	}
	img := images[0]
	for _, d := range im.Manifests {
		if isAttestation(d) && d.Annotations[attestation.DockerAnnotationReferenceDigest] == img.Digest.String() {
			return img, &d, nil
		}
	}
	return img, nil, nil
}

// attestationAddendum is the index entry of the attestation manifest att
// about the image manifest of digest image.
func attestationAddendum(att v1.Image, mt types.MediaType, image digest.Digest) mutate.IndexAddendum {
	p := attestationPlatform
	return mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
		MediaType: mt,
		Platform:  &p,
		Annotations: map[string]string{
			attestation.DockerAnnotationReferenceType:   attestation.DockerAnnotationReferenceTypeDefault,
			attestation.DockerAnnotationReferenceDigest: image.String(),
		},
	}}
}

// Unfold reads what BuildKit pushed by digest d to repo for one platform
// and gives the digests of its image manifest and of the attestation
// manifest about it: d itself and "" for an image manifest; the two
// entries of an index BuildKit made to hold provenance.
func (r Registry) Unfold(ctx context.Context, repo string, d digest.Digest) (image, att digest.Digest, err error) {
	pinned, err := r.digestRef(repo, d)
	if err != nil {
		return "", "", err
	}
	desc, err := remote.Get(pinned, r.remoteOpts(ctx)...)
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", pinned, err)
	}
	if desc.MediaType.IsImage() {
		return d, "", nil
	}
	if !desc.MediaType.IsIndex() {
		return "", "", fmt.Errorf("%s is a %s, not an image or an index", pinned, desc.MediaType)
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", pinned, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", pinned, err)
	}
	img, a, err := unfold(im)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", pinned, err)
	}
	image = digest.Digest(img.Digest.String())
	if a != nil {
		att = digest.Digest(a.Digest.String())
	}
	return image, att, nil
}
