package publish

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
)

// Copy copies each manifest (image and attestation) from the repository
// from to the repository to, by digest, with its config and layers:
// mounted from the source when both are on one registry, else uploaded.
// What to already has is not sent again. A Shared registry copies what
// it has just read from, and remembers what it copied, so that the index
// of the copies is made without reading them back.
func (r Registry) Copy(ctx context.Context, from, to string, manifests []Manifest) error {
	for _, m := range manifests {
		for _, d := range []digest.Digest{m.Digest, m.Attestation} {
			if d == "" {
				continue
			}
			if err := r.copyImage(ctx, from, to, d); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r Registry) copyImage(ctx context.Context, from, to string, d digest.Digest) error {
	dst, err := r.digestRef(to, d)
	if err != nil {
		return err
	}
	// The image manifest d names in from (as PushIndex read it, when
	// Shared): an index there is refused, not narrowed to one platform.
	img, mt, err := r.image(ctx, from, d)
	if err != nil {
		return err
	}
	if err := remote.Write(dst, img, r.remoteOpts(ctx)...); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if r.conns != nil {
		// The same manifest, now in to: PushIndex need not read it.
		r.conns.images.put(dst, knownImage{img, mt})
	}
	return nil
}
