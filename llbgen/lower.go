package llbgen

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/spec"
)

// DefaultBuildPlatform is the build platform of offline lowering (plan,
// print), fixed so that digests do not depend on the machine.
var DefaultBuildPlatform = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// Options tune lowering.
type Options struct {
	// BuildPlatform runs build-platform stages; default
	// DefaultBuildPlatform. A build sets it to the daemon's platform.
	BuildPlatform *ocispecs.Platform
	// Args override build args (bricklayer build --arg K=V).
	Args map[string]string
	// Resolver resolves base images' configs (ENV PATH, WORKDIR, ...) and
	// digests. Nil lowers offline: base images stay unresolved, and each
	// Target lists them.
	Resolver sourceresolver.ImageMetaResolver
	// NoCache makes the daemon run every op again.
	NoCache bool
	// Epoch, when set, is SOURCE_DATE_EPOCH: an arg the steps can declare
	// (and the Dockerfile converter reads) for reproducible output.
	Epoch *time.Time
}

// Target is one image lowered for one platform.
type Target struct {
	Image    string
	Platform ocispecs.Platform
	// State is the image's root filesystem.
	State llb.State
	// Config is the image config it is published with.
	Config dockerspec.DockerOCIImage
	// Unresolved lists base images whose config could not be merged into
	// Config because lowering was offline.
	Unresolved []string
	// Locals maps the names of the graph's local sources to directories
	// (the build contexts) for the session that solves it.
	Locals map[string]string

	noCache bool
}

// Lowerer lowers the images of one spec. It keeps the stages it lowered,
// so images sharing a stage share its graph. It is safe for concurrent use.
type Lowerer struct {
	spec      *spec.Spec
	opts      Options
	build     ocispecs.Platform
	sourceMap *llb.SourceMap

	mu   sync.Mutex
	memo map[string]*result
	// inc is the context filter of the image Lower is lowering; it is
	// set under mu for the duration of a Lower.
	inc *includes
}

// result is a lowered stage: its filesystem and the config it has built
// up so far.
type result struct {
	state      llb.State
	config     dockerspec.DockerOCIImage
	unresolved []string
	locals     map[string]string
}

// New returns a Lowerer for s.
func New(s *spec.Spec, opts Options) *Lowerer {
	l := &Lowerer{spec: s, opts: opts, build: DefaultBuildPlatform, memo: map[string]*result{}}
	if opts.BuildPlatform != nil {
		l.build = platforms.Normalize(*opts.BuildPlatform)
	}
	// The file's base name, not its path: the definition must not depend
	// on the directory bricklayer was run from.
	l.sourceMap = llb.NewSourceMap(nil, filepath.Base(s.File), "CUE", s.Source)
	return l
}

// Lower lowers image for platform (e.g. "linux/arm/v7").
func (l *Lowerer) Lower(ctx context.Context, image, platform string) (*Target, error) {
	im, ok := l.spec.Images[image]
	if !ok {
		return nil, fmt.Errorf("no image %q in %s", image, l.spec.File)
	}
	p, err := platforms.Parse(platform)
	if err != nil {
		return nil, fmt.Errorf("platform %q: %w", platform, err)
	}
	p = platforms.Normalize(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inc = l.includesFor(im, platforms.Format(p))
	r, err := l.image(ctx, im, p)
	if err != nil {
		return nil, err
	}
	return &Target{
		Image:      image,
		Platform:   p,
		State:      r.state,
		Config:     r.config,
		Unresolved: r.unresolved,
		Locals:     r.locals,
		noCache:    l.opts.NoCache,
	}, nil
}

// image lowers a published image (or one used as another's base).
func (l *Lowerer) image(ctx context.Context, im *spec.Image, target ocispecs.Platform) (*result, error) {
	key := l.inc.image + ": image " + im.Name + " " + platforms.Format(target)
	if r, ok := l.memo[key]; ok {
		return r, nil
	}
	v := im.ForPlatform(platforms.Format(target))
	var r *result
	var err error
	if v.Dockerfile != "" {
		r, err = l.dockerfile(ctx, v, target)
	} else {
		r, err = l.stage(ctx, v, &v.Stage, target)
	}
	if err != nil {
		return nil, err
	}
	r = withMetadata(r, v, target)
	l.memo[key] = r
	return r, nil
}

// named lowers what a from or copy-from name refers to.
func (l *Lowerer) named(ctx context.Context, scope *spec.Image, name string, exec, target ocispecs.Platform) (*result, error) {
	ref, ok := l.spec.Resolve(scope, name)
	if !ok {
		return nil, fmt.Errorf("%q is not a stage, image or image reference", name)
	}
	switch ref.Kind {
	case spec.RefScratch:
		return &result{state: llb.Scratch().Platform(exec), config: emptyConfig(exec)}, nil
	case spec.RefStage:
		return l.stage(ctx, scope, ref.Stage, target)
	case spec.RefImage:
		return l.image(ctx, ref.Image, target)
	}
	return l.external(ctx, ref.Name, exec)
}

// external is a base image from a registry, resolved when a resolver is
// set: its digest pins the source and its config starts the image's.
func (l *Lowerer) external(ctx context.Context, ref string, p ocispecs.Platform) (*result, error) {
	key := "external " + ref + " " + platforms.Format(p)
	if r, ok := l.memo[key]; ok {
		return r, nil
	}
	r := &result{config: emptyConfig(p)}
	if l.opts.Resolver == nil {
		r.state = llb.Image(ref, llb.Platform(p))
		r.unresolved = []string{ref}
	} else {
		st, cfg, err := resolveImage(ctx, l.opts.Resolver, ref, p)
		if err != nil {
			return nil, err
		}
		r.state, r.config = st, cfg
	}
	l.memo[key] = r
	return r, nil
}

func emptyConfig(p ocispecs.Platform) dockerspec.DockerOCIImage {
	var c dockerspec.DockerOCIImage
	c.OS, c.Architecture, c.Variant = p.OS, p.Architecture, p.Variant
	c.RootFS.Type = "layers"
	return c
}

// merge adds the locals and unresolved bases of dep to r.
func (r *result) merge(dep *result) {
	for _, u := range dep.unresolved {
		if !slices.Contains(r.unresolved, u) {
			r.unresolved = append(r.unresolved, u)
		}
	}
	for k, v := range dep.locals {
		r.addLocal(k, v)
	}
}

func (r *result) addLocal(name, dir string) {
	if r.locals == nil {
		r.locals = map[string]string{}
	}
	r.locals[name] = dir
}
