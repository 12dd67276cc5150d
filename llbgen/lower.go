package llbgen

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/platform"
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
	Platform platform.Platform
	// State is the image's root filesystem.
	State llb.State
	// Config is the image config it is published with.
	Config dockerspec.DockerOCIImage
	// Unresolved lists base images whose config could not be merged into
	// Config because lowering was offline.
	Unresolved []string
	// Findings are what BuildKit's Dockerfile checks found in the
	// Dockerfiles converted for the target, as warnings: a finding that
	// is an error fails Lower.
	Findings []Finding
	// Locals maps the names of the graph's local sources to directories
	// (the build contexts) for the session that solves it.
	Locals map[string]string
	// Entitlements are what the session must allow for the graph to
	// run (network.host for a host-network run step).
	Entitlements []string

	noCache bool
}

// Lowerer lowers the images of one spec. It holds nothing that a Lower
// changes, so it is safe for concurrent use, and one Lower never waits on
// another's base-image resolution.
type Lowerer struct {
	spec      *spec.Spec
	opts      Options
	build     ocispecs.Platform
	sourceMap *llb.SourceMap
	// cacheScope prefixes the ids of cache mounts that name none: the
	// spec's identity, made of its repositories.
	cacheScope string
	// allFindings is set by Check: Dockerfiles are checked in every
	// stage, and findings that are errors do not fail the lowering.
	allFindings bool
	// ignored holds, per *spec.Image, what the CopyIgnoredFile check
	// needs of it, parsed once for all its platforms (see ignored.go).
	ignored sync.Map
}

// lowering is the state of one Lower: one image for one platform. Stages
// are memoized within it only, since their context sources carry the
// filter of the image being lowered and so differ between images.
type lowering struct {
	*Lowerer
	inc  *includes
	memo map[string]*result
	// hostNet is set when a run step of the graph uses the host network.
	hostNet bool
}

// result is a lowered stage: its filesystem and the config it has built
// up so far.
type result struct {
	state      llb.State
	config     dockerspec.DockerOCIImage
	unresolved []string
	locals     map[string]string
	findings   []Finding
}

// New returns a Lowerer for s.
func New(s *spec.Spec, opts Options) *Lowerer {
	l := &Lowerer{spec: s, opts: opts, build: DefaultBuildPlatform, cacheScope: CacheScope(s)}
	if opts.BuildPlatform != nil {
		l.build = platforms.Normalize(*opts.BuildPlatform)
	}
	// The file's base name, not its path: the definition must not depend
	// on the directory bricklayer was run from.
	l.sourceMap = llb.NewSourceMap(nil, filepath.Base(s.File), "CUE", s.Source)
	return l
}

// CacheScope is the prefix of the ids of a spec's cache mounts that name
// none: "bricklayer-" and a digest of the spec's sorted repositories, so
// specs publishing the same repositories share caches and others do not.
func CacheScope(s *spec.Spec) string {
	var repos []string
	for _, name := range s.ImageNames {
		if r := s.Images[name].Repository; !slices.Contains(repos, r) {
			repos = append(repos, r)
		}
	}
	slices.Sort(repos)
	return "bricklayer-" + digest.FromString(strings.Join(repos, "\n")).Encoded()[:16]
}

// Lower lowers image for platform.
func (l *Lowerer) Lower(ctx context.Context, image string, platform platform.Platform) (*Target, error) {
	im, ok := l.spec.Images[image]
	if !ok {
		return nil, fmt.Errorf("no image %q in %s", image, l.spec.File)
	}
	lw := &lowering{Lowerer: l, inc: l.includesFor(im, platform), memo: map[string]*result{}}
	r, err := lw.image(ctx, im, platform.OCI())
	if err != nil {
		return nil, err
	}
	t := &Target{
		Image:      image,
		Platform:   platform,
		State:      r.state,
		Config:     r.config,
		Unresolved: r.unresolved,
		Locals:     r.locals,
		Findings:   r.findings,
		noCache:    l.opts.NoCache,
	}
	if lw.hostNet {
		t.Entitlements = append(t.Entitlements, EntitlementHostNetwork)
	}
	return t, nil
}

// EntitlementHostNetwork is BuildKit's entitlement for run steps on the
// host's network.
const EntitlementHostNetwork = "network.host"

// image lowers a published image (or one used as another's base).
func (l *lowering) image(ctx context.Context, im *spec.Image, target ocispecs.Platform) (*result, error) {
	key := "image " + im.Name + " " + platforms.Format(target)
	if r, ok := l.memo[key]; ok {
		return r, nil
	}
	v := im.ForPlatform(platform.Of(target))
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
func (l *lowering) named(ctx context.Context, scope *spec.Image, name string, exec, target ocispecs.Platform) (*result, error) {
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
func (l *lowering) external(ctx context.Context, ref string, p ocispecs.Platform) (*result, error) {
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

// merge adds the locals, unresolved bases and findings of dep to r.
func (r *result) merge(dep *result) {
	r.findings = append(slices.Clip(r.findings), dep.findings...)
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
