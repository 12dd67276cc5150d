package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bricklayer-build/bricklayer/llbgen"
	"github.com/bricklayer-build/bricklayer/spec"
)

// Metadata is the document build --metadata-file writes and Publish reads.
type Metadata struct {
	Images map[string]*ImageResult `json:"images"`
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

// PublishOptions tune Publish.
type PublishOptions struct {
	// Images selects images by name; empty means every image of the spec.
	Images []string
	// Args are the build args the runners built with (as build --arg).
	Args map[string]string
}

// found is one platform of an image in a metadata file.
type found struct {
	PlatformResult
	source string
}

// Publish assembles the results of several builds of platform subsets
// (CI matrix runners, or nodes) into one index per image and moves the
// tags, as build --push does. Every platform the spec gives each image
// must be in exactly one source, pushed, and built from the spec as it
// is now (its plan's LLB digest), all of an image's platforms with
// provenance or none; otherwise nothing is published.
func Publish(ctx context.Context, s *spec.Spec, pub Publisher, sources []Source, opts PublishOptions) ([]*ImageResult, error) {
	start := time.Now()
	names, err := SelectImages(s, opts.Images)
	if err != nil {
		return nil, err
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	got := map[string]map[spec.Platform]found{}
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
			case !slices.Contains(names, name):
				continue
			case r == nil:
				bad("%s: image %s: no result", src.Name, name)
				continue
			case r.Repository != im.Repository:
				bad("%s: image %s was pushed to %s, the spec publishes it to %s", src.Name, name, r.Repository, im.Repository)
				continue
			}
			if got[name] == nil {
				got[name] = map[spec.Platform]found{}
			}
			for _, p := range r.Platforms {
				switch prev, dup := got[name][p.Platform]; {
				case !slices.Contains(im.Platforms, p.Platform):
					bad("%s: image %s: %s is not one of its platforms (%s)", src.Name, name, p.Platform, spec.JoinPlatforms(im.Platforms))
				case dup:
					bad("image %s: platform %s is in both %s and %s", name, p.Platform, prev.source, src.Name)
				case p.Digest == "" || !r.Pushed:
					bad("%s: image %s: platform %s was not pushed (build --push)", src.Name, name, p.Platform)
				default:
					got[name][p.Platform] = found{PlatformResult: p, source: src.Name}
				}
			}
		}
	}
	l := llbgen.New(s, llbgen.Options{Args: opts.Args})
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
			_, now, err := lowerOffline(ctx, l, name, p)
			if err != nil {
				return nil, err
			}
			if f.LLB != now {
				bad("image %s: platform %s in %s was built from another spec: its LLB digest is %s, the spec's now %s", name, p, f.source, f.LLB, now)
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
	var results []*ImageResult
	for _, name := range names {
		im := s.Images[name]
		res := &ImageResult{Name: name, Repository: im.Repository, Tags: []string{}}
		for _, p := range im.Platforms {
			res.Platforms = append(res.Platforms, got[name][p].PlatformResult)
		}
		if res.Digest, err = pub.PushIndex(ctx, im.Repository, manifests(res.Platforms), im.Annotations); err != nil {
			return nil, fmt.Errorf("image %s: assembling the index: %w", name, err)
		}
		res.Seconds = time.Since(start).Round(time.Millisecond).Seconds()
		results = append(results, res)
	}
	return results, moveTags(ctx, s, pub, results)
}
