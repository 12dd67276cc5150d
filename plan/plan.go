package plan

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/llbgen"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

// Options are what, besides the spec, shapes a plan.
type Options struct {
	// Images selects images by name; empty means all.
	Images []string
	// Platforms restricts each image to these of its platforms; empty
	// means all. Images with none of them are left out.
	Platforms []platform.Platform
	// BuildPlatform runs build-platform stages (default linux/amd64,
	// fixed so that digests do not depend on the machine).
	BuildPlatform *platform.Platform
	// BuildPlatforms, when set, give each target platform its own build
	// platform (that of the node that builds it), over BuildPlatform;
	// BuildPlatformOf, when set, one per image and platform (as runners
	// recorded them), over both.
	BuildPlatforms  map[platform.Platform]platform.Platform
	BuildPlatformOf func(image string, p platform.Platform) (platform.Platform, bool)
	// Args override build args (build --arg K=V).
	Args map[string]string
	// Epoch is SOURCE_DATE_EPOCH, an arg the steps can read.
	Epoch *time.Time
	// NoCache marks every op to run again; digests do not change.
	NoCache bool
	// Resolver resolves base images (their digest and config). Nil
	// plans offline: bases stay as written and each target lists them.
	Resolver sourceresolver.ImageMetaResolver
	// Definitions keeps each target's definition (build, print); plan
	// only needs digests and does not hold every graph.
	Definitions bool
}

// Plan is a spec's images × platforms, lowered.
type Plan struct {
	// Spec is the decoded spec the plan was made from.
	Spec          *spec.Spec
	BuildPlatform platform.Platform
	Images        []*Image
}

// Image is one selected image and the targets of its selected platforms.
type Image struct {
	Name string
	// Repository is where the platforms are pushed; Repositories every
	// repository the index and tags go to, Repository first.
	Repository   string
	Repositories []string
	// Tags are the references' tags: the image's own, then its aliases.
	Tags, Aliases []string
	Annotations   map[string]string
	// Cache is false when the image opts out of the run's caches.
	Cache bool
	// Platforms are all the spec's platforms of the image; Targets those
	// selected, in the same order.
	Platforms []platform.Platform
	Targets   []*Target
	// Syntax is a Dockerfile's # syntax= line, which the built-in
	// converter ignores.
	Syntax string
}

// AllTags are the tags and then the aliases.
func (im *Image) AllTags() []string { return slices.Concat(im.Tags, im.Aliases) }

// Subset says the targets are some of the image's platforms, not all: a
// matrix job's share, which never makes an index or moves a tag.
func (im *Image) Subset() bool { return len(im.Targets) < len(im.Platforms) }

// Whole says whether a build of the platforms selected (none: all) makes
// every one of an image's platforms, before there is a plan: what Subset
// will say of it, negated.
func Whole(platforms, selected []platform.Platform) bool {
	if len(selected) == 0 {
		return true
	}
	for _, p := range platforms {
		if !slices.Contains(selected, p) {
			return false
		}
	}
	return true
}

// Target is one image for one platform.
type Target struct {
	Image    *Image
	Platform platform.Platform
	// Definition is the graph (with Options.Definitions); Digest
	// identifies it (what plan prints) and Ops counts its ops.
	Definition *llb.Definition
	Digest     digest.Digest
	Ops        int
	// BuildPlatform is the platform its build-platform stages run on.
	BuildPlatform *platform.Platform
	// Config is the OCI image config the target is published with.
	Config dockerspec.DockerOCIImage
	// Locals are the directories the graph's local sources read, by
	// name; Entitlements what its steps need.
	Locals       map[string]string
	Entitlements []string
	// Unresolved are base images left as written (offline).
	Unresolved []string
	// Findings are the Dockerfile checks' warnings for the target.
	Findings []llbgen.Finding
}

// UnknownImageError is an image name the spec does not have.
type UnknownImageError struct {
	Name string
	File string
	Have []string
}

func (e *UnknownImageError) Error() string {
	return fmt.Sprintf("no image %q in %s (images: %s)", e.Name, e.File, strings.Join(e.Have, ", "))
}

// Kind makes an image the command line names but the spec lacks a bad
// command line.
func (e *UnknownImageError) Kind() errkind.Kind { return errkind.Usage }

// SelectImages checks the names against the spec; none means all.
func SelectImages(s *spec.Spec, want []string) ([]string, error) {
	if len(want) == 0 {
		return s.ImageNames, nil
	}
	for _, n := range want {
		if _, ok := s.Images[n]; !ok {
			return nil, &UnknownImageError{Name: n, File: s.File, Have: s.ImageNames}
		}
	}
	return want, nil
}

// Make lowers every selected image × platform of s, at most one per CPU
// at a time. The same spec and options give the same plan.
func Make(ctx context.Context, s *spec.Spec, opts Options) (*Plan, error) {
	names, err := SelectImages(s, opts.Images)
	if err != nil {
		return nil, err
	}
	bp := platform.Of(llbgen.DefaultBuildPlatform)
	if opts.BuildPlatform != nil {
		bp = *opts.BuildPlatform
	}
	p := &Plan{Spec: s, BuildPlatform: bp}
	var targets []*Target
	for _, name := range names {
		im := imageOf(s, name)
		for _, pl := range im.Platforms {
			if len(opts.Platforms) == 0 || slices.Contains(opts.Platforms, pl) {
				t := &Target{Image: im, Platform: pl}
				im.Targets = append(im.Targets, t)
				targets = append(targets, t)
			}
		}
		if len(im.Targets) > 0 {
			p.Images = append(p.Images, im)
		}
	}
	// One lowerer per build platform: a node's own runs its targets'
	// build-platform stages.
	lowerers := map[platform.Platform]*llbgen.Lowerer{}
	jobs := make([]job, len(targets))
	for i, t := range targets {
		tbp := bp
		if b, ok := opts.BuildPlatforms[t.Platform]; ok {
			tbp = b
		}
		if opts.BuildPlatformOf != nil {
			if b, ok := opts.BuildPlatformOf(t.Image.Name, t.Platform); ok {
				tbp = b
			}
		}
		t.BuildPlatform = &tbp
		if lowerers[tbp] == nil {
			o := tbp.OCI()
			lowerers[tbp] = llbgen.New(s, llbgen.Options{
				BuildPlatform: &o,
				Args:          opts.Args,
				Resolver:      opts.Resolver,
				NoCache:       opts.NoCache,
				Epoch:         opts.Epoch,
			})
		}
		jobs[i] = job{lowerers[tbp], t}
	}
	if err := lowerAll(ctx, jobs, opts.Definitions); err != nil {
		return nil, err
	}
	return p, nil
}

// job is a target and the lowerer of its build platform.
type job struct {
	l *llbgen.Lowerer
	t *Target
}

func imageOf(s *spec.Spec, name string) *Image {
	si := s.Images[name]
	im := &Image{
		Name:         name,
		Repository:   si.Repository,
		Repositories: slices.Clip(si.Repositories),
		Tags:         slices.Clip(si.Tags),
		Aliases:      slices.Clip(si.AliasTags),
		Annotations:  maps.Clone(si.Annotations),
		Cache:        si.Cache,
		Platforms:    slices.Clip(si.Platforms),
		Syntax:       si.SyntaxDirective(),
	}
	return im
}

// lowerAll lowers the targets on as many goroutines as CPUs; the first
// error in the targets' order wins, so errors are the same on every run.
func lowerAll(ctx context.Context, jobs []job, keep bool) error {
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = lower(ctx, j.l, j.t, keep)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func lower(ctx context.Context, l *llbgen.Lowerer, t *Target, keep bool) error {
	lt, err := l.Lower(ctx, t.Image.Name, t.Platform)
	if err != nil {
		return err
	}
	def, err := lt.Marshal(ctx)
	if err != nil {
		return err
	}
	t.Digest, t.Ops = llbgen.Digest(def), llbgen.Ops(def)
	if keep {
		t.Definition = def
	}
	t.Config, t.Locals, t.Entitlements = lt.Config, lt.Locals, lt.Entitlements
	t.Unresolved, t.Findings = lt.Unresolved, lt.Findings
	return nil
}

// Targets are every target of the plan, image by image.
func (p *Plan) Targets() []*Target {
	var out []*Target
	for _, im := range p.Images {
		out = append(out, im.Targets...)
	}
	return out
}

// Findings are every target's findings, merged.
func (p *Plan) Findings() []llbgen.Finding {
	var all []llbgen.Finding
	for _, t := range p.Targets() {
		all = append(all, t.Findings...)
	}
	return llbgen.MergeFindings(all)
}

// Image is the plan's image called name, or nil.
func (p *Plan) Image(name string) *Image {
	for _, im := range p.Images {
		if im.Name == name {
			return im
		}
	}
	return nil
}
