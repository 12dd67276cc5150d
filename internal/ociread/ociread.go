package ociread

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// Index is one entry of a layout's index.json, an image index.
type Index struct {
	// Desc is the entry as index.json lists it: digest, media type and
	// annotations (the ref name among them).
	Desc v1.Descriptor
	// Index is the image index it names.
	Index v1.ImageIndex
	// Manifests are that index's own entries: a manifest per platform,
	// and attestations.
	Manifests []v1.Descriptor
}

// Read returns the image indexes the layout at dir lists in its
// index.json, in order. An entry that is not an image index is an error:
// bricklayer writes one index per image.
func Read(dir string) ([]Index, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the layout %s: %w", dir, err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("reading %s/index.json: %w", dir, err)
	}
	tm, err := top.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading %s/index.json: %w", dir, err)
	}
	out := make([]Index, 0, len(tm.Manifests))
	for _, d := range tm.Manifests {
		if !d.MediaType.IsIndex() {
			return nil, fmt.Errorf("%s/index.json: entry %s is a %s, not an image index", dir, d.Digest, d.MediaType)
		}
		idx, err := top.ImageIndex(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", d.Digest, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", d.Digest, err)
		}
		out = append(out, Index{Desc: d, Index: idx, Manifests: im.Manifests})
	}
	return out, nil
}
