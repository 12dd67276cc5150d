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

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

// dockerfile lowers a Dockerfile image with BuildKit's own converter, so
// heredocs, multi-stage builds, FROM --platform and ARG TARGETARCH work
// as they do in docker buildx. The converter also runs BuildKit's
// Dockerfile checks as it goes; their findings come with the result.
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
	opt := dockerfile2llb.ConvertOpt{
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
	}
	res, found, err := l.convert(ctx, im, opt)
	if err != nil {
		return nil, im.DockerfileError(err)
	}
	l.checkIgnored(im, &opt, found.warn)
	r := &result{state: res.State, config: cloneConfig(*res.Image)}
	r.addLocal(name, im.Context)
	if l.opts.Resolver == nil {
		// The base images the converter asked for, with their args
		// expanded: the FROM lines' images, not the stages.
		// Sorted: the converter resolves stages concurrently.
		r.unresolved = slices.Sorted(slices.Values(offline.refs))
	}
	r.findings = found.keep(im, platform.Of(target), l.opts.Resolver == nil)
	if !l.allFindings && slices.ContainsFunc(r.findings, func(f Finding) bool { return f.Error }) {
		return nil, im.DockerfileError(checksFailed(im, r.findings))
	}
	return r, nil
}

// convert runs BuildKit's converter with its checks. When vet asks for
// every finding and the image names no target, it checks every stage,
// as docker build --check does; plan and build check the stages they
// build. A stage the image does not build may then fail where the build
// would not: what the build converts is checked instead, and the
// failure becomes a finding.
func (l *lowering) convert(ctx context.Context, im *spec.Image, opt dockerfile2llb.ConvertOpt) (*dockerfile2llb.Result, *collector, error) {
	allStages := l.allStages(im)
	res, found, err := convertChecked(ctx, im, opt, allStages)
	if err == nil || !allStages {
		return res, found, err
	}
	res, built, berr := convertChecked(ctx, im, opt, false)
	if berr != nil {
		return nil, nil, berr
	}
	// What the check of every stage found before it failed counts too;
	// Check merges what both found.
	built.findings = append(built.findings, found.findings...)
	built.unbuilt(err)
	return res, built, nil
}

// allStages tells whether the checks of im cover every stage.
func (l *lowering) allStages(im *spec.Image) bool { return l.allFindings && im.Target == "" }

// convertChecked converts im with checks, every stage with allStages.
// With # check=error=true BuildKit's converter fails on any finding, the
// spec's skips included: it converts again without checks then, to tell
// that from a mistake that fails the build, and leaves the verdict to
// the findings.
func convertChecked(ctx context.Context, im *spec.Image, opt dockerfile2llb.ConvertOpt, allStages bool) (*dockerfile2llb.Result, *collector, error) {
	found := &collector{}
	opt.Warn, opt.AllStages = found.warn, allStages
	res, err := dockerfile2llb.Dockerfile2LLB(ctx, im.DockerfileData, opt)
	if err == nil || !im.CheckErrorDirective || len(found.findings) == 0 {
		return res, found, err
	}
	opt.Warn = nil
	res, err = dockerfile2llb.Dockerfile2LLB(ctx, im.DockerfileData, opt)
	return res, found, err
}

// Check lowers, offline, every image of s for each of its platforms when
// s has a Dockerfile image, and returns what BuildKit's Dockerfile checks
// found (merged: once per place, rule and message) and every conversion
// error, each at the dockerfile field of its image: what plan would
// reject, vet rejects first. Every image, not only the Dockerfile ones:
// an image built from a Dockerfile image converts it for its own
// platforms too. (Without Dockerfiles no such pass is needed: spec checks
// what the lowering of native steps relies on.) The lowerings run side by
// side, one per CPU (vet runs in pre-commit hooks); errors come in image
// and platform order.
func Check(ctx context.Context, s *spec.Spec) ([]Finding, error) {
	type job struct {
		im   *spec.Image
		name string
		p    platform.Platform
	}
	if !slices.ContainsFunc(s.ImageNames, func(name string) bool { return s.Images[name].Dockerfile != "" }) {
		return nil, nil
	}
	var jobs []job
	for _, name := range s.ImageNames {
		im := s.Images[name]
		for _, p := range im.Platforms {
			jobs = append(jobs, job{im, name, p})
		}
	}
	l := New(s, Options{})
	l.allFindings = true
	// The findings of each job, not its target: holding every graph
	// until the end costs the garbage collector more than vet's checks.
	findings := make([][]Finding, len(jobs))
	results := make([]error, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t, err := l.Lower(ctx, j.name, j.p)
			if t != nil {
				findings[i] = t.Findings
			}
			results[i] = err
		}()
	}
	wg.Wait()
	found := slices.Concat(findings...)
	var errs cueerrors.Error
	for i, err := range results {
		if err == nil {
			continue
		}
		var ce cueerrors.Error
		if !errors.As(err, &ce) {
			return nil, fmt.Errorf("%s, %s: %w", jobs[i].im.Path(), jobs[i].p, err)
		}
		errs = cueerrors.Append(errs, ce)
	}
	if errs == nil {
		return MergeFindings(found), nil
	}
	return MergeFindings(found), errs
}
