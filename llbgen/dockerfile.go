package llbgen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"sync"

	cueerrors "cuelang.org/go/cue/errors"
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
	offline := &offlineResolver{}
	var resolver sourceresolver.ImageMetaResolver = offline
	if l.opts.Resolver != nil {
		resolver = l.opts.Resolver
	}
	res, err := dockerfile2llb.Dockerfile2LLB(ctx, im.DockerfileData, dockerfile2llb.ConvertOpt{
		Config: dockerui.Config{
			BuildArgs:       args,
			Target:          im.Target,
			Labels:          im.Labels,
			TargetPlatforms: []ocispecs.Platform{target},
			// Names steps [PLATFORM N/M]; Marshal adds the image, so the
			// progress of Dockerfile images reads like native steps'.
			MultiPlatformRequested: true,
			BuildPlatforms:         []ocispecs.Platform{l.build},
		},
		MainContext:    &main,
		TargetPlatform: &target,
		MetaResolver:   resolver,
	})
	if err != nil {
		return nil, im.DockerfileError(err)
	}
	r := &result{state: res.State, config: cloneConfig(*res.Image)}
	r.addLocal(name, im.Context)
	if l.opts.Resolver == nil {
		// The base images the converter asked for, with their args
		// expanded: the FROM lines' images, not the stages.
		// Sorted: the converter resolves stages concurrently.
		r.unresolved = slices.Sorted(slices.Values(offline.refs))
	}
	return r, nil
}

// Check lowers, offline, every image of s for each of its platforms when
// s has a Dockerfile image, and returns every conversion error, each at
// the dockerfile field of its image: what plan would reject, vet rejects
// first. Every image, not only the Dockerfile ones: an image built from
// a Dockerfile image converts it for its own platforms too. (Without
// Dockerfiles no such pass is needed: spec checks what the lowering of
// native steps relies on.) The lowerings run side by side, one per CPU
// (vet runs in pre-commit hooks); errors come in image and platform
// order.
func Check(ctx context.Context, s *spec.Spec) error {
	type job struct {
		im   *spec.Image
		name string
		p    spec.Platform
	}
	if !slices.ContainsFunc(s.ImageNames, func(name string) bool { return s.Images[name].Dockerfile != "" }) {
		return nil
	}
	var jobs []job
	for _, name := range s.ImageNames {
		im := s.Images[name]
		for _, p := range im.Platforms {
			jobs = append(jobs, job{im, name, p})
		}
	}
	l := New(s, Options{})
	results := make([]error, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, results[i] = l.Lower(ctx, j.name, j.p)
		}()
	}
	wg.Wait()
	var errs cueerrors.Error
	for i, err := range results {
		if err == nil {
			continue
		}
		var ce cueerrors.Error
		if !errors.As(err, &ce) {
			return fmt.Errorf("%s, %s: %w", jobs[i].im.Path(), jobs[i].p, err)
		}
		errs = cueerrors.Append(errs, ce)
	}
	if errs == nil {
		return nil
	}
	return errs
}
