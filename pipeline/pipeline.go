package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"github.com/bricklayer-build/bricklayer/buildopt"
	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/ref"
	"github.com/bricklayer-build/bricklayer/solve"
	"github.com/bricklayer-build/bricklayer/spec"
)

// Publisher puts indexes and tags in registries; publish.Registry is the
// real one.
type Publisher interface {
	IsInsecure(repo string) bool
	// Unfold gives the image manifest and the attestation manifest of
	// what BuildKit pushed for one platform with provenance (an index).
	Unfold(ctx context.Context, repo string, d digest.Digest) (image, attestation digest.Digest, err error)
	// NameOptions and RemoteOptions are how go-containerregistry reaches
	// repo's registry, to read back what BuildKit pushed for several
	// platforms at once (unfoldShared).
	NameOptions(repo string) []name.Option
	RemoteOptions(ctx context.Context) []remote.Option
	PushIndex(ctx context.Context, repo string, manifests []publish.Manifest, annotations map[string]string) (digest.Digest, error)
	// Copy copies manifests (and what they hold) from one repository to
	// another, by digest.
	Copy(ctx context.Context, from, to string, manifests []publish.Manifest) error
	// Check reads, before anything is pushed, every manifest the indexes
	// list and checks that each is what it is listed as: a
	// *publish.MismatchError lists those that are not.
	Check(ctx context.Context, indexes []publish.Index) ([]*publish.Checked, error)
	// PushChecked pushes an index Check read, reusing what it read.
	PushChecked(ctx context.Context, c *publish.Checked, annotations map[string]string) (digest.Digest, error)
	MoveTags(ctx context.Context, jobs []publish.Tagging) ([]string, error)
}

// Options say where the results of a plan go.
type Options struct {
	// Push pushes every platform and each index by digest, then moves
	// the tags. An image the plan has only some platforms of (a CI
	// matrix job's share) is pushed by digest only: it never moves a
	// tag; Publish assembles the runners' results.
	Push bool
	// Output writes OCI layouts.
	Output *buildopt.Output
	// Load loads each image's build for this platform into Docker
	// (Solve's Loader) under its tags; the other platforms are only
	// built, pushed or written.
	Load *platform.Platform
	// CacheTo and CacheFrom are exported and imported per image and
	// platform (see buildopt.Cache.PerTarget).
	CacheTo, CacheFrom []buildopt.Cache
	// Record, when set, is given the results once every index is
	// pushed, before any tag moves (build --metadata-file writes them, so
	// a run stopped while moving tags leaves the digests on record); its
	// error ends the run with no tag moved.
	Record func([]*ImageResult) error
	// Sign, when set, signs every image's index once all are pushed,
	// before Record and before any tag moves; its error ends the run
	// with no tag moved.
	Sign func(context.Context, []*ImageResult) error
}

// ImageResult is what one image became.
type ImageResult struct {
	Name       string `json:"-"`
	Repository string `json:"repository"`
	// Mirrors are its other repositories, which got the same index.
	Mirrors []string `json:"mirrors,omitempty"`
	// Digest is the digest of the image index (with push or output).
	Digest digest.Digest `json:"digest,omitempty"`
	// Platforms are the manifests of the index, in the spec's order.
	Platforms []PlatformResult `json:"platforms"`
	// Partial is set on the result of a subset of platforms: pushed by
	// digest, no index, no tag.
	Partial bool `json:"partial,omitempty"`
	// Pushed says the platforms' manifests went to Repository: a layout
	// or a load also gives them digests, which publish cannot use.
	Pushed bool `json:"pushed,omitempty"`
	// Tags are the references published (empty without push).
	Tags []string `json:"tags"`
	// TagsNotPutBack are, when moving the tags failed and putting them
	// back did too, the tags that may still point at Digest, each with
	// where it pointed before.
	TagsNotPutBack []publish.TagLeft `json:"tagsNotPutBack,omitempty"`
	// TagsElsewhere are tags that, read back once every tag was moved,
	// point elsewhere (another release moved them at the same time), or
	// could not be read back (with the error).
	TagsElsewhere []publish.TagAt `json:"tagsElsewhere,omitempty"`
	// Signature is where the index's signature was written (with
	// --sign): cosign's sha256-HEX.sig tag of Repository.
	Signature string `json:"signature,omitempty"`
	// Output is the OCI layout written, if any.
	Output string `json:"output,omitempty"`
	// Loaded is what Docker said it loaded (with Load).
	Loaded []string `json:"loaded,omitempty"`
	// Seconds is how long the image took to build and publish.
	Seconds float64 `json:"seconds"`
}

// PlatformResult is one platform of an image.
type PlatformResult struct {
	Platform platform.Platform `json:"platform"`
	// Digest is the platform's image manifest (with push or output).
	Digest digest.Digest `json:"digest,omitempty"`
	// Attestation is the manifest of BuildKit's provenance about it
	// (with --provenance), which Publish puts in the index beside it.
	Attestation digest.Digest `json:"attestation,omitempty"`
	// LLB is the digest of the plan's graph that was solved for the
	// platform, which Publish checks against its own plan of the spec.
	LLB digest.Digest `json:"llb"`
	// BuildPlatform is the platform the graph's build-platform stages
	// ran on (its node's), which the graph depends on.
	BuildPlatform *platform.Platform `json:"buildPlatform,omitempty"`
}

// manifests are the results as an index's entries.
func manifests(ps []PlatformResult) []publish.Manifest {
	out := make([]publish.Manifest, len(ps))
	for i, p := range ps {
		out[i] = publish.Manifest{Platform: p.Platform, Digest: p.Digest, Attestation: p.Attestation}
	}
	return out
}

// Plan makes the plan a build on sv solves: each target lowered for the
// build platform of the node that takes it, once, with its base images
// resolved by opts.Resolver.
func Plan(ctx context.Context, s *spec.Spec, sv solve.Interface, opts plan.Options) (*plan.Plan, error) {
	names, err := plan.SelectImages(s, opts.Images)
	if err != nil {
		return nil, err
	}
	var plats []platform.Platform
	for _, n := range names {
		for _, p := range s.Images[n].Platforms {
			if (len(opts.Platforms) == 0 || slices.Contains(opts.Platforms, p)) && !slices.Contains(plats, p) {
				plats = append(plats, p)
			}
		}
	}
	if len(plats) == 0 {
		return nil, fmt.Errorf("no selected image is built for %s", platform.Join(opts.Platforms))
	}
	if opts.BuildPlatforms, err = sv.Route(ctx, plats); err != nil {
		return nil, err
	}
	return plan.Make(ctx, s, opts)
}

// target is one target of the plan and its result.
type target struct {
	*plan.Target
	res *solve.Result
	// image and attestation are the manifests pushed (with Push).
	image, attestation digest.Digest
}

// Run solves the targets of p on sv and publishes them with pub. Tags
// move only after every image succeeded.
func Run(ctx context.Context, p *plan.Plan, sv solve.Interface, pub Publisher, opts Options) ([]*ImageResult, error) {
	start := time.Now()
	var targets []*target
	for _, t := range p.Targets() {
		if t.Definition == nil {
			return nil, fmt.Errorf("image %s for %s: the plan holds no definition", t.Image.Name, t.Platform)
		}
		targets = append(targets, &target{Target: t})
	}
	var layouts string
	var err error
	if opts.Output != nil {
		if layouts, err = os.MkdirTemp("", "bricklayer-layouts-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(layouts)
	}
	indexes, err := solveAll(ctx, sv, pub, opts, p, targets, layouts)
	if err != nil {
		return nil, err
	}

	results := make([]*ImageResult, 0, len(p.Images))
	for _, im := range p.Images {
		res := &ImageResult{Name: im.Name, Repository: im.Repository, Tags: []string{}}
		var parts []publish.LayoutPart
		for _, t := range targets {
			if t.Image != im {
				continue
			}
			pr := PlatformResult{Platform: t.Platform, Digest: t.res.Manifest, LLB: t.Digest, BuildPlatform: t.BuildPlatform}
			if opts.Push {
				pr.Digest, pr.Attestation = t.image, t.attestation
			}
			res.Platforms = append(res.Platforms, pr)
			res.Loaded = append(res.Loaded, t.res.Loaded...)
			parts = append(parts, publish.LayoutPart{Platform: t.Platform, Dir: layoutDir(layouts, t)})
		}
		// Only a real subset of the image's platforms is a matrix job's
		// share; all of them, even named with --platform, is the image.
		subset := im.Subset()
		res.Partial, res.Pushed = opts.Push && subset, opts.Push
		if opts.Push && !subset {
			res.Digest, res.Mirrors = indexes[im], im.Repositories[1:]
		}
		if opts.Output != nil {
			res.Output = destFor(*opts.Output, im.Name, len(p.Images) > 1)
			refName := ""
			if len(im.Tags) > 0 {
				refName = im.Tags[0]
			}
			d, ms, err := publish.WriteLayout(res.Output, opts.Output.Tar, refName, parts, im.Annotations)
			if err != nil {
				return nil, fmt.Errorf("image %s: writing %s: %w", im.Name, res.Output, err)
			}
			if !opts.Push || subset {
				// Pushed, the tags go to the index that was pushed.
				res.Digest = d
			}
			if !opts.Push {
				// The layout's reading: the image manifests also with
				// provenance, when BuildKit exported indexes.
				for i, m := range ms {
					res.Platforms[i].Digest, res.Platforms[i].Attestation = m.Digest, m.Attestation
				}
			}
		}
		res.Seconds = time.Since(start).Round(time.Millisecond).Seconds()
		results = append(results, res)
	}
	if !opts.Push || solveOnly {
		return results, nil
	}
	var whole []*ImageResult
	for _, r := range results {
		if !r.Partial {
			whole = append(whole, r)
		}
	}
	if len(whole) == 0 {
		if opts.Record != nil {
			return results, opts.Record(results)
		}
		return results, nil
	}
	if err := signAll(ctx, opts.Sign, whole); err != nil {
		return results, err
	}
	return results, moveTags(ctx, p, pub, results, whole, opts.Record)
}

// signAll signs the pushed indexes with sign, when set.
func signAll(ctx context.Context, sign func(context.Context, []*ImageResult) error, results []*ImageResult) error {
	if sign == nil {
		return nil
	}
	if err := sign(ctx, results); err != nil {
		return fmt.Errorf("signing, no tag moved: %w", err)
	}
	return nil
}

// moveTags records the results with record (when set), then moves every
// image's tags to its index, recording in the results what became of
// them.
func moveTags(ctx context.Context, p *plan.Plan, pub Publisher, all, results []*ImageResult, record func([]*ImageResult) error) error {
	if record != nil {
		if err := record(all); err != nil {
			return err
		}
	}
	// One job per repository of each image: every repository gets the
	// same index under the same tags, all of them or none.
	var jobs []publish.Tagging
	var jobOwner []*ImageResult
	for _, r := range results {
		im := p.Image(r.Name)
		for _, repo := range im.Repositories {
			jobs = append(jobs, publish.Tagging{Image: r.Name, Repository: repo, Index: r.Digest, Tags: im.AllTags()})
			jobOwner = append(jobOwner, r)
		}
	}
	moved, err := pub.MoveTags(ctx, jobs)
	// Each reference is one of a job's own repository:tag: two images
	// may share a repository, never a tag of it.
	owner := map[string]*ImageResult{}
	for i, j := range jobs {
		for _, t := range j.Tags {
			owner[ref.Tagged(j.Repository, t)] = jobOwner[i]
		}
	}
	done := map[string]bool{}
	for _, m := range moved {
		done[m] = true
	}
	for i, j := range jobs {
		for _, t := range j.Tags {
			if tagged := ref.Tagged(j.Repository, t); done[tagged] {
				jobOwner[i].Tags = append(jobOwner[i].Tags, tagged)
			}
		}
	}
	var tm *publish.TagMoveError
	if errors.As(err, &tm) {
		for _, l := range tm.Unrestored {
			if r := owner[l.Ref]; r != nil {
				r.TagsNotPutBack = append(r.TagsNotPutBack, l)
			}
		}
	}
	var race *publish.TagRaceError
	if errors.As(err, &race) {
		for _, t := range slices.Concat(race.Elsewhere, race.Unread) {
			if r := owner[t.Ref]; r != nil {
				r.TagsElsewhere = append(r.TagsElsewhere, t)
			}
		}
	}
	return err
}

// pushMirrors copies the index's manifests from the image's repository to
// each of its other repositories and pushes the index there too: the same
// bytes, so the same digest, which it checks.
func pushMirrors(ctx context.Context, pub Publisher, im *plan.Image, index digest.Digest, ms []publish.Manifest) error {
	for _, mirror := range im.Repositories[1:] {
		if err := pub.Copy(ctx, im.Repository, mirror, ms); err != nil {
			return fmt.Errorf("image %s: copying its manifests to %s: %w", im.Name, mirror, err)
		}
		d, err := pub.PushIndex(ctx, mirror, ms, im.Annotations)
		if err != nil {
			return fmt.Errorf("image %s: pushing its index to %s: %w", im.Name, mirror, err)
		}
		if d != index {
			return fmt.Errorf("image %s: the index pushed to %s is %s, not %s", im.Name, mirror, d, index)
		}
	}
	return nil
}

// solveAll solves every image at once, all of its targets in one call
// (the solver shares sessions between the platforms a node builds); the
// first failure cancels the others. With Push it reads back what each
// platform pushed and, as soon as a whole image is built, pushes its index
// by digest (to each of its repositories), so that the indexes of images
// built early do not wait for the last one; it returns them by image.
func solveAll(ctx context.Context, sv solve.Interface, pub Publisher, opts Options, p *plan.Plan, targets []*target, layouts string) (map[*plan.Image]digest.Digest, error) {
	eg, ectx := errgroup.WithContext(ctx)
	var mu sync.Mutex
	indexes := map[*plan.Image]digest.Digest{}
	for _, im := range p.Images {
		var mine []*target
		var reqs []solve.Request
		for _, t := range targets {
			if t.Image != im {
				continue
			}
			req, err := request(t, pub, opts, layouts)
			if err != nil {
				return nil, err
			}
			mine, reqs = append(mine, t), append(reqs, req)
		}
		eg.Go(func() error {
			res, err := sv.Solve(ectx, reqs)
			if err != nil {
				return err
			}
			if len(res) != len(mine) {
				return fmt.Errorf("image %s: %d results for %d platforms", im.Name, len(res), len(mine))
			}
			// Each goroutine writes its own image's targets; Wait
			// orders the reads.
			for i, t := range mine {
				t.res = res[i]
			}
			if !opts.Push || solveOnly {
				return nil
			}
			if err := unfoldAll(ectx, pub, im, mine); err != nil {
				return err
			}
			// Only a real subset of the image's platforms is a matrix
			// job's share; all of them, even named with --platform, is
			// the image.
			if im.Subset() {
				return nil
			}
			d, err := pushIndexes(ectx, pub, im, mine)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			indexes[im] = d
			return nil
		})
	}
	return indexes, eg.Wait()
}

// pushIndexes pushes by digest the index of an image's pushed targets (in
// the plan's platform order) to its repository, then copies it to the
// others, and returns its digest.
func pushIndexes(ctx context.Context, pub Publisher, im *plan.Image, ts []*target) (digest.Digest, error) {
	ms := make([]publish.Manifest, len(ts))
	for i, t := range ts {
		ms[i] = publish.Manifest{Platform: t.Platform, Digest: t.image, Attestation: t.attestation}
	}
	d, err := pub.PushIndex(ctx, im.Repository, ms, im.Annotations)
	if err != nil {
		return "", fmt.Errorf("image %s: assembling the index: %w", im.Name, err)
	}
	if err := pushMirrors(ctx, pub, im, d, ms); err != nil {
		return "", err
	}
	return d, nil
}

// request is the solve request of one target.
func request(t *target, pub Publisher, opts Options, layouts string) (solve.Request, error) {
	im := t.Image
	cfg, err := json.Marshal(t.Config)
	if err != nil {
		return solve.Request{}, err
	}
	req := solve.Request{
		Image:        im.Name,
		Platform:     t.Platform,
		Definition:   t.Definition.ToPB(),
		Config:       cfg,
		Locals:       t.Locals,
		Entitlements: t.Entitlements,
		Push:         opts.Push,
		Repository:   im.Repository,
		Insecure:     pub.IsInsecure(im.Repository),
		Annotations:  im.Annotations,
	}
	if layouts != "" {
		req.LayoutDir = layoutDir(layouts, t)
	}
	if opts.Load != nil && *opts.Load == t.Platform {
		req.Load = true
		// Under every repository's names, as a pull of any would give.
		for _, repo := range im.Repositories {
			for _, tag := range im.AllTags() {
				req.LoadNames = append(req.LoadNames, ref.Tagged(repo, tag))
			}
		}
	}
	if im.Cache {
		for _, c := range opts.CacheTo {
			req.CacheTo = append(req.CacheTo, c.PerTarget(im.Name, t.Platform.Slug()))
		}
		for _, c := range opts.CacheFrom {
			req.CacheFrom = append(req.CacheFrom, c.PerTarget(im.Name, t.Platform.Slug()))
		}
	}
	return req, nil
}

// unfoldAll finds the image manifest and attestation manifest each target
// pushed: its manifest as it is; with provenance, the two entries of the
// index BuildKit pushed to hold them (the index bricklayer makes holds
// both instead); for a session of several platforms, theirs in the index
// of them all, read once.
func unfoldAll(ctx context.Context, pub Publisher, im *plan.Image, ts []*target) error {
	shared := map[digest.Digest]map[platform.Platform]publish.Manifest{}
	for _, t := range ts {
		var err error
		switch {
		case t.res.Shared:
			ms, ok := shared[t.res.Manifest]
			if !ok {
				if ms, err = unfoldShared(ctx, pub, im.Repository, t.res.Manifest); err != nil {
					return fmt.Errorf("image %s: %w", im.Name, err)
				}
				shared[t.res.Manifest] = ms
			}
			m, ok := ms[t.Platform]
			if !ok {
				return fmt.Errorf("image %s: the index BuildKit pushed, %s, has no image for %s", im.Name, t.res.Manifest, t.Platform)
			}
			t.image, t.attestation = m.Digest, m.Attestation
		case t.res.Attested:
			if t.image, t.attestation, err = pub.Unfold(ctx, im.Repository, t.res.Manifest); err != nil {
				return fmt.Errorf("image %s for %s: %w", im.Name, t.Platform, err)
			}
		default:
			t.image = t.res.Manifest
		}
	}
	return nil
}

func layoutDir(root string, t *target) string {
	if root == "" {
		return ""
	}
	return filepath.Join(root, t.Image.Name, t.Platform.Slug())
}

// destFor is the layout of one image: Dest itself for a single image, or
// Dest/NAME(.tar) for several.
func destFor(o buildopt.Output, image string, several bool) string {
	if !several {
		return o.Dest
	}
	if o.Tar {
		return filepath.Join(o.Dest, image+".tar")
	}
	return filepath.Join(o.Dest, image)
}
