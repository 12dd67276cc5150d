package publish

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
)

// Tagging is the tags of one pushed index.
type Tagging struct {
	Image      string
	Repository string
	Index      digest.Digest
	Tags       []string
}

// MoveTags moves every tag of every index to it. It first checks that
// every index is in its registry, so a missing one moves no tag. It
// returns the references moved.
func (r Registry) MoveTags(ctx context.Context, jobs []Tagging) ([]string, error) {
	descs := make([]*remote.Descriptor, len(jobs))
	for i, j := range jobs {
		if j.Index == "" {
			return nil, fmt.Errorf("image %s: no index digest to tag", j.Image)
		}
		ref, err := name.NewDigest(j.Repository+"@"+j.Index.String(), r.nameOpts(j.Repository)...)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", j.Image, err)
		}
		if descs[i], err = remote.Get(ref, r.remoteOpts(ctx)...); err != nil {
			return nil, fmt.Errorf("image %s: checking the pushed index %s: %w", j.Image, ref, err)
		}
		if !descs[i].MediaType.IsIndex() {
			return nil, fmt.Errorf("image %s: %s is not an image index", j.Image, ref)
		}
	}
	var moved []string
	for i, j := range jobs {
		for _, t := range j.Tags {
			tag, err := name.NewTag(j.Repository+":"+t, r.nameOpts(j.Repository)...)
			if err != nil {
				return moved, fmt.Errorf("image %s: %w", j.Image, err)
			}
			if err := remote.Tag(tag, descs[i], r.remoteOpts(ctx)...); err != nil {
				return moved, fmt.Errorf("tagging %s (already moved: %s): %w", tag, strings.Join(moved, ", "), err)
			}
			moved = append(moved, tag.String())
		}
	}
	return moved, nil
}
