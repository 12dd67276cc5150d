package build

import (
	"context"
	"fmt"
	"time"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"
)

// onNodes builds on a builder of several daemons: one session per image
// and platform on the node that serves the platform, each pushing its
// image by digest; then bricklayer assembles each index itself. Nothing is
// tagged here, so a node that fails moves no tag.
func (r *run) onNodes(ctx context.Context) ([]*ImageResult, error) {
	if r.opts.Output.Type != "" {
		return nil, fmt.Errorf("a builder of nodes publishes with --push; --output needs one daemon (--addr)")
	}
	nodes, err := connectAll(ctx, r.opts.Builder)
	if err != nil {
		return nil, err
	}
	defer closeAll(nodes)
	routes := map[string]map[string]*connected{}
	for _, name := range r.names {
		if routes[name], err = route(r.opts.Builder, nodes, r.targets[name]); err != nil {
			return nil, fmt.Errorf("image %s: %w", name, err)
		}
	}
	prog, err := newProgress(ctx, r.opts.Stderr, r.opts.Progress)
	if err != nil {
		return nil, err
	}
	results := make([]*ImageResult, len(r.names))
	start := time.Now()
	eg, ectx := errgroup.WithContext(ctx)
	for i, name := range r.names {
		im := r.s.Images[name]
		res := &ImageResult{Name: name, Repository: im.Repository, Tags: []string{}}
		results[i] = res
		res.Platforms = make([]PlatformResult, len(r.targets[name]))
		for j, p := range r.targets[name] {
			node := routes[name][p]
			eg.Go(func() error {
				d, err := r.solvePlatform(ectx, node, name, p, prog)
				if err != nil {
					return &ImageError{Image: name, Err: &PlatformError{Platform: p, Node: node.Name, Err: err}}
				}
				res.Platforms[j] = PlatformResult{Platform: p, Digest: d}
				return nil
			})
		}
	}
	buildErr := eg.Wait()
	prog.close()
	if buildErr != nil {
		return nil, prog.explain(r.s, buildErr)
	}
	for _, res := range results {
		res.Seconds = seconds(time.Since(start)) // the images build side by side
		if r.opts.Push {
			if res.Digest, err = r.assemble(ctx, res); err != nil {
				return nil, fmt.Errorf("image %s: assembling the index: %w", res.Name, err)
			}
		}
	}
	return results, nil
}

// solvePlatform builds one image for one platform on its node and, with
// push, pushes the image by digest. It returns the manifest digest.
func (r *run) solvePlatform(ctx context.Context, node *connected, image, plat string, prog *progress) (digest.Digest, error) {
	im := r.s.Images[image]
	var exports []client.ExportEntry
	if r.opts.Push {
		exports = append(exports, r.pushExport(im))
	}
	so := r.solveOpt(exports, []string{plat})
	if im.Cache {
		so.CacheExports = derive(r.opts.CacheTo, image, []string{plat})
	}
	build := func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
		res, _, cfg, err := r.solveOne(ctx, gw, image, plat)
		if err != nil {
			return nil, err
		}
		res.AddMeta(exptypes.ExporterImageConfigKey, cfg)
		return res, nil
	}
	resp, err := node.c.Build(ctx, so, "", build, prog.channel())
	if err != nil {
		return "", err
	}
	return digest.Digest(resp.ExporterResponse[exptypes.ExporterImageDigestKey]), nil
}

// assemble pushes, by digest, the index of the image's per-platform
// manifests, and returns its digest.
func (r *run) assemble(ctx context.Context, res *ImageResult) (digest.Digest, error) {
	var nopts []name.Option
	if isInsecure(res.Repository, r.opts.Insecure) {
		nopts = append(nopts, name.Insecure)
	}
	var adds []mutate.IndexAddendum
	for _, p := range res.Platforms {
		ref, err := name.NewDigest(res.Repository+"@"+p.Digest.String(), nopts...)
		if err != nil {
			return "", err
		}
		desc, err := remote.Get(ref, remoteOpts(ctx)...)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", ref, err)
		}
		img, err := desc.Image()
		if err != nil {
			return "", fmt.Errorf("%s is not an image: %w", ref, err)
		}
		pl := platforms.MustParse(p.Platform)
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			MediaType: desc.MediaType,
			Platform:  &v1.Platform{OS: pl.OS, Architecture: pl.Architecture, Variant: pl.Variant},
		}})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	d, err := idx.Digest()
	if err != nil {
		return "", err
	}
	ref, err := name.NewDigest(res.Repository+"@"+d.String(), nopts...)
	if err != nil {
		return "", err
	}
	if err := remote.WriteIndex(ref, idx, remoteOpts(ctx)...); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	return digest.Digest(d.String()), nil
}
