package llbgen

import (
	"context"
	"fmt"
	"maps"
	"strconv"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/spec"
)

// dockerfile lowers a Dockerfile image with BuildKit's own converter, so
// heredocs, multi-stage builds, FROM --platform and ARG TARGETARCH work
// as they do in docker buildx.
func (l *lowering) dockerfile(ctx context.Context, im *spec.Image, target ocispecs.Platform) (*result, error) {
	main, name := l.local(im.Context, nil, im.DockerIgnore)
	args := maps.Clone(im.Args)
	if args == nil {
		args = map[string]string{}
	}
	maps.Copy(args, l.opts.Args)
	if l.opts.Epoch != nil {
		args["SOURCE_DATE_EPOCH"] = strconv.FormatInt(l.opts.Epoch.Unix(), 10)
	}
	var resolver sourceresolver.ImageMetaResolver = offlineResolver{}
	if l.opts.Resolver != nil {
		resolver = l.opts.Resolver
	}
	res, err := dockerfile2llb.Dockerfile2LLB(ctx, im.DockerfileData, dockerfile2llb.ConvertOpt{
		Config: dockerui.Config{
			BuildArgs:       args,
			Target:          im.Target,
			Labels:          im.Labels,
			TargetPlatforms: []ocispecs.Platform{target},
			BuildPlatforms:  []ocispecs.Platform{l.build},
		},
		MainContext:    &main,
		TargetPlatform: &target,
		MetaResolver:   resolver,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: converting %s for %s: %w", im.Path(), im.Dockerfile, platforms.Format(target), err)
	}
	r := &result{state: res.State, config: cloneConfig(*res.Image)}
	r.addLocal(name, im.Context)
	if l.opts.Resolver == nil {
		r.unresolved = dockerfileBases(im)
	}
	return r, nil
}

// dockerfileBases names what an offline Dockerfile conversion could not
// resolve: its base images.
func dockerfileBases(im *spec.Image) []string {
	return []string{im.Dockerfile + " (base images)"}
}
