package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/spec"
)

// Metadata is the document build --metadata-file writes and Publish reads.
type Metadata struct {
	Images map[string]*ImageResult `json:"images"`
	// Inputs are what shaped the plan besides the spec.
	Inputs *Inputs `json:"inputs,omitempty"`
}

// Source is one metadata file, by name, as a runner or node wrote it.
type Source struct {
	Name string
	Meta *Metadata
}

// RejectedError lists why the metadata cannot be published; nothing was
// pushed and no tag moved.
type RejectedError struct {
	Problems []string
}

func (e *RejectedError) Error() string {
	return "nothing published:\n  " + strings.Join(e.Problems, "\n  ")
}

// Kind makes rejected metadata a failure of the input, not of a push.
func (e *RejectedError) Kind() errkind.Kind { return errkind.Failed }

// PublishOptions tune Publish.
type PublishOptions struct {
	// Images selects images by name; empty means every image the
	// metadata files hold.
	Images []string
	// Inputs are the runners' (AgreedInputs); Bases resolves the base
	// images to the digests they recorded.
	Inputs Inputs
	Bases  sourceresolver.ImageMetaResolver
	// Record is as Options.Record: given the results before any tag
	// moves.
	Record func([]*ImageResult) error
	// Sign is as Options.Sign: it signs the indexes before any tag moves.
	Sign func(context.Context, []*ImageResult) error
}

// found is one platform of an image in a metadata file.
type found struct {
	PlatformResult
	source string
}

// Publish assembles the results of several builds of platform subsets
// (CI matrix runners, or nodes) into one index per image and moves the
// tags, as build --push does. It publishes the images named, or else
// every image the metadata files hold: each of their platforms must be
// in exactly one source, pushed, and built from the graph the spec gives
// now with the runners' inputs (the digest recorded is the plan's), all
// of an image's platforms with provenance or none; and every manifest
// named must be, in the image's repository, an image of the platform it
// is listed under (its attestation about it). Otherwise nothing is
// published: a *RejectedError names each file, image and platform at
// fault.
func Publish(ctx context.Context, s *spec.Spec, pub Publisher, sources []Source, opts PublishOptions) ([]*ImageResult, error) {
	start := time.Now()
	if _, err := plan.SelectImages(s, opts.Images); err != nil {
		return nil, err
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	got := map[string]map[platform.Platform]found{}
	held := map[string]bool{}
	for _, src := range sources {
		if src.Meta == nil || len(src.Meta.Images) == 0 {
			bad("%s: no images", src.Name)
			continue
		}
		for _, name := range spec.SortedKeys(src.Meta.Images) {
			r := src.Meta.Images[name]
			im, ok := s.Images[name]
			switch {
			case !ok:
				bad("%s: image %s is not in %s", src.Name, name, s.File)
				continue
			case len(opts.Images) > 0 && !slices.Contains(opts.Images, name):
				continue
			case r == nil:
				bad("%s: image %s: no result", src.Name, name)
				continue
			case r.Repository != im.Repository:
				bad("%s: image %s was pushed to %s, the spec publishes it to %s", src.Name, name, r.Repository, im.Repository)
				continue
			}
			held[name] = true
			if got[name] == nil {
				got[name] = map[platform.Platform]found{}
			}
			for i, p := range r.Platforms {
				switch prev, dup := got[name][p.Platform]; {
				case !slices.Contains(im.Platforms, p.Platform):
					bad("%s: image %s: %s is not one of its platforms (%s)", src.Name, name, p.Platform, platform.Join(im.Platforms))
				case dup:
					bad("image %s: platform %s is in both %s and %s", name, p.Platform, prev.source, src.Name)
				case p.Digest == "" || !r.Pushed:
					bad("%s: image %s: platform %s was not pushed (build --push)", src.Name, name, p.Platform)
				default:
					if field, err := checkDigests(p); err != nil {
						bad("%s: images.%s.platforms[%d].%s: %v", src.Name, name, i, field, err)
					}
					got[name][p.Platform] = found{PlatformResult: p, source: src.Name}
				}
			}
		}
	}
	// The images named, else those the files hold, in the spec's order.
	var names []string
	for _, name := range s.ImageNames {
		if slices.Contains(opts.Images, name) || len(opts.Images) == 0 && held[name] {
			names = append(names, name)
		}
	}
	for _, name := range names {
		var attested, plain []string
		for _, p := range s.Images[name].Platforms {
			f, ok := got[name][p]
			if !ok {
				bad("image %s: platform %s is in no metadata file", name, p)
				continue
			}
			if f.Attestation != "" {
				attested = append(attested, p.String())
			} else {
				plain = append(plain, p.String())
			}
		}
		// Half an image attested is a runner that forgot --provenance.
		if len(attested) > 0 && len(plain) > 0 {
			bad("image %s: %s built with --provenance, %s without: build every platform the same way", name, strings.Join(attested, ", "), strings.Join(plain, ", "))
		}
	}
	if len(problems) > 0 {
		return nil, &RejectedError{Problems: problems}
	}
	if len(names) == 0 {
		return nil, &RejectedError{Problems: []string{"the metadata files hold none of the images named"}}
	}
	p, err := planOf(ctx, s, names, got, opts)
	if err != nil {
		var up *publish.UnpinnedError
		if errors.As(err, &up) {
			return nil, &RejectedError{Problems: []string{fmt.Sprintf("the metadata files record no digest for base image %s: build with this bricklayer again", up.Ref)}}
		}
		return nil, err
	}
	for _, im := range p.Images {
		for _, t := range im.Targets {
			if f := got[im.Name][t.Platform]; f.LLB != t.Digest {
				bad("image %s: platform %s in %s was built from another spec: its LLB digest is %s, the spec's now %s", im.Name, t.Platform, f.source, f.LLB, t.Digest)
			}
		}
	}
	if len(problems) > 0 {
		return nil, &RejectedError{Problems: problems}
	}
	// Every manifest named is read and checked before anything is pushed,
	// all images at once: a mismatch in the last publishes nothing.
	indexes := make([]publish.Index, len(names))
	for i, name := range names {
		im := s.Images[name]
		var ps []PlatformResult
		for _, p := range im.Platforms {
			ps = append(ps, got[name][p].PlatformResult)
		}
		indexes[i] = publish.Index{Repository: im.Repository, Manifests: manifests(ps)}
	}
	checked, err := pub.Check(ctx, indexes)
	var mm *publish.MismatchError
	if errors.As(err, &mm) {
		for _, m := range mm.Mismatches {
			name := names[m.Index]
			bad("%s: image %s: platform %s %s", got[name][m.Platform].source, name, m.Platform, m.Msg)
		}
		return nil, &RejectedError{Problems: problems}
	}
	if err != nil {
		return nil, fmt.Errorf("reading the manifests the metadata names: %w", err)
	}
	var results []*ImageResult
	for i, name := range names {
		im := s.Images[name]
		res := &ImageResult{Name: name, Repository: im.Repository, Tags: []string{}, Pushed: true}
		for _, p := range im.Platforms {
			res.Platforms = append(res.Platforms, got[name][p].PlatformResult)
		}
		if res.Digest, err = pub.PushChecked(ctx, checked[i], im.Annotations); err != nil {
			return nil, fmt.Errorf("image %s: assembling the index: %w", name, err)
		}
		if pi := p.Image(name); pi != nil && len(pi.Repositories) > 1 {
			if err := pushMirrors(ctx, pub, pi, res.Digest, manifests(res.Platforms)); err != nil {
				return nil, err
			}
			res.Mirrors = pi.Repositories[1:]
		}
		res.Seconds = time.Since(start).Round(time.Millisecond).Seconds()
		results = append(results, res)
	}
	if err := signAll(ctx, opts.Sign, results); err != nil {
		return results, err
	}
	return results, moveTags(ctx, p, pub, results, results, opts.Record)
}

// planOf plans the images as the runners built them: with their inputs,
// their base images' digests and each platform's build platform.
func planOf(ctx context.Context, s *spec.Spec, names []string, got map[string]map[platform.Platform]found, opts PublishOptions) (*plan.Plan, error) {
	po := plan.Options{
		Images:   names,
		Args:     opts.Inputs.Args,
		Resolver: opts.Bases,
		BuildPlatformOf: func(image string, p platform.Platform) (platform.Platform, bool) {
			if bp := got[image][p].BuildPlatform; bp != nil {
				return *bp, true
			}
			return platform.Platform{}, false
		},
	}
	if e := opts.Inputs.SourceDateEpoch; e != nil {
		t := time.Unix(*e, 0).UTC()
		po.Epoch = &t
	}
	return plan.Make(ctx, s, po)
}

// checkDigests refuses a platform's digest that no registry reference can
// hold (a mistake in the file, not a failed push): it says which field.
func checkDigests(p PlatformResult) (field string, err error) {
	for _, f := range []struct {
		name     string
		d        digest.Digest
		optional bool
	}{{"digest", p.Digest, false}, {"attestation", p.Attestation, true}, {"llb", p.LLB, false}} {
		if f.d == "" && f.optional {
			continue
		}
		if err := f.d.Validate(); err != nil {
			return f.name, fmt.Errorf("%q is not a digest: %w", f.d, err)
		}
		if f.d.Algorithm() != digest.SHA256 {
			return f.name, fmt.Errorf("%q is not a sha256 digest", f.d)
		}
	}
	return "", nil
}
