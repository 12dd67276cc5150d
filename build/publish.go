package build

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/spec"
)

// publish moves the tags of every image to its pushed index. It runs only
// after every image of the run was pushed by digest, and first checks that
// every index is in its registry, so a failure before it moves no tag.
func publish(ctx context.Context, s *spec.Spec, results []*ImageResult, insecure []string) error {
	type job struct {
		res  *ImageResult
		desc *remote.Descriptor
		opts []name.Option
	}
	var jobs []job
	for _, r := range results {
		if r.Digest == "" {
			return fmt.Errorf("image %s: the daemon reported no digest for the pushed index", r.Name)
		}
		var nopts []name.Option
		if isInsecure(r.Repository, insecure) {
			nopts = append(nopts, name.Insecure)
		}
		ref, err := name.NewDigest(r.Repository+"@"+r.Digest.String(), nopts...)
		if err != nil {
			return fmt.Errorf("image %s: %w", r.Name, err)
		}
		desc, err := remote.Get(ref, remoteOpts(ctx)...)
		if err != nil {
			return fmt.Errorf("image %s: checking the pushed index %s: %w", r.Name, ref, err)
		}
		idx, err := desc.ImageIndex()
		if err != nil {
			return fmt.Errorf("image %s: %s is not an image index: %w", r.Name, ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return fmt.Errorf("image %s: reading index %s: %w", r.Name, ref, err)
		}
		r.Platforms = nil
		for _, m := range im.Manifests {
			if m.Platform == nil || m.Platform.OS == "unknown" {
				continue
			}
			p := platforms.Format(platforms.Normalize(platforms.MustParse(m.Platform.String())))
			r.Platforms = append(r.Platforms, PlatformResult{Platform: p, Digest: digest.Digest(m.Digest.String())})
		}
		jobs = append(jobs, job{res: r, desc: desc, opts: nopts})
	}
	var moved []string
	for _, j := range jobs {
		for _, t := range s.Images[j.res.Name].AllTags() {
			tag, err := name.NewTag(j.res.Repository+":"+t, j.opts...)
			if err != nil {
				return fmt.Errorf("image %s: %w", j.res.Name, err)
			}
			if err := remote.Tag(tag, j.desc, remoteOpts(ctx)...); err != nil {
				return fmt.Errorf("tagging %s (already moved: %s): %w", tag, strings.Join(moved, ", "), err)
			}
			moved = append(moved, tag.String())
			j.res.Tags = append(j.res.Tags, tag.String())
		}
	}
	return nil
}

func remoteOpts(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
}
