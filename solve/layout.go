package solve

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/buildkit/util/attestation"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/platform"
)

// maxIndex bounds the index files read from a layout BuildKit wrote.
const maxIndex = 4 << 20

// splitLayout turns the OCI layout a session exported at dir (one index
// of its platforms' images, then their attestation manifests) into the
// single-platform layout each request asked for, as a session of one
// platform exports it: the image manifest, or an index of it and its
// attestation manifest. They share dir's blobs (a link), so no layer is
// copied; each result's Manifest and Attested say what its layout holds.
func splitLayout(dir string, reqs []Request, out []*Result) error {
	top, err := readIndex(filepath.Join(dir, "index.json"))
	if err != nil {
		return err
	}
	if len(top.Manifests) != 1 {
		return fmt.Errorf("the session's layout %s names %d manifests, want one index", dir, len(top.Manifests))
	}
	idx, err := readIndex(blobPath(dir, top.Manifests[0].Digest))
	if err != nil {
		return err
	}
	blobs, err := filepath.Abs(filepath.Join(dir, "blobs"))
	if err != nil {
		return err
	}
	for i, r := range reqs {
		img, att, err := platformEntries(idx, r.Platform)
		if err != nil {
			return fmt.Errorf("the session's layout %s: %w", dir, err)
		}
		desc := img
		if att != nil {
			// As BuildKit exports a platform with attestations.
			if desc, err = writeIndex(dir, []ocispecs.Descriptor{img, *att}); err != nil {
				return err
			}
		}
		if err := writeLayout(r.LayoutDir, blobs, desc); err != nil {
			return err
		}
		out[i].Manifest, out[i].Attested = desc.Digest, att != nil
	}
	return nil
}

// platformEntries finds, in a multi-platform index of BuildKit's, the
// image manifest of p and the attestation manifest about it (nil if none).
func platformEntries(idx *ocispecs.Index, p platform.Platform) (ocispecs.Descriptor, *ocispecs.Descriptor, error) {
	for _, d := range idx.Manifests {
		if d.Platform == nil || d.Annotations[attestation.DockerAnnotationReferenceType] != "" || platform.Of(*d.Platform) != p {
			continue
		}
		for _, a := range idx.Manifests {
			if a.Annotations[attestation.DockerAnnotationReferenceType] == attestation.DockerAnnotationReferenceTypeDefault &&
				a.Annotations[attestation.DockerAnnotationReferenceDigest] == d.Digest.String() {
				return d, &a, nil
			}
		}
		return d, nil, nil
	}
	return ocispecs.Descriptor{}, nil, fmt.Errorf("no image manifest for %s", p)
}

func readIndex(path string) (*ocispecs.Index, error) {
	dt, err := safefile.Read(path, maxIndex)
	if err != nil {
		return nil, err
	}
	var idx ocispecs.Index
	if err := json.Unmarshal(dt, &idx); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return &idx, nil
}

func blobPath(dir string, d digest.Digest) string {
	return filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded())
}

// writeIndex adds to the layout at dir an OCI index of the manifests and
// returns its descriptor.
func writeIndex(dir string, manifests []ocispecs.Descriptor) (ocispecs.Descriptor, error) {
	idx := ocispecs.Index{MediaType: ocispecs.MediaTypeImageIndex, Manifests: manifests}
	idx.SchemaVersion = 2
	dt, err := json.Marshal(idx)
	if err != nil {
		return ocispecs.Descriptor{}, err
	}
	desc := ocispecs.Descriptor{MediaType: idx.MediaType, Digest: digest.FromBytes(dt), Size: int64(len(dt))}
	if err := os.WriteFile(blobPath(dir, desc.Digest), dt, 0o644); err != nil {
		return ocispecs.Descriptor{}, err
	}
	return desc, nil
}

// writeLayout writes at dir a layout whose index names desc, over the
// blobs of another layout.
func writeLayout(dir, blobs string, desc ocispecs.Descriptor) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Symlink(blobs, filepath.Join(dir, "blobs")); err != nil {
		return err
	}
	layout, err := json.Marshal(ocispecs.ImageLayout{Version: ocispecs.ImageLayoutVersion})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ocispecs.ImageLayoutFile), layout, 0o644); err != nil {
		return err
	}
	idx := ocispecs.Index{MediaType: ocispecs.MediaTypeImageIndex, Manifests: []ocispecs.Descriptor{desc}}
	idx.SchemaVersion = 2
	dt, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "index.json"), dt, 0o644)
}
