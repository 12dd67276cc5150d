package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/ref"
)

// Tagging is the tags of one pushed index.
type Tagging struct {
	Image      string
	Repository string
	Index      digest.Digest
	Tags       []string
}

// move is one tag to move, and where it pointed before (nil: nowhere).
type move struct {
	tag name.Tag
	// ref is the tag as the job named it (repository:tag).
	ref    string
	to     *remote.Descriptor
	before *remote.Descriptor
}

// rollbackTimeout bounds putting tags back, which goes on after an
// interrupt.
const rollbackTimeout = 2 * time.Minute

// MoveTags moves every tag of every index to it. It first checks that
// every index is in its registry and records where each tag points, so a
// missing index moves no tag; a failure (or ctx ending) while moving puts
// every moved tag back, and deletes those that did not exist, before it
// returns a *TagMoveError. Once every tag is moved it reads them all back:
// tags another release moved meanwhile are a *TagRaceError. It returns the
// references moved (and read back where they were moved to), each as its
// job's repository, ":" and the tag.
func (r Registry) MoveTags(ctx context.Context, jobs []Tagging) ([]string, error) {
	var moves []move
	for _, j := range jobs {
		if j.Index == "" {
			return nil, fmt.Errorf("image %s: no index digest to tag", j.Image)
		}
		pushed, err := name.NewDigest(ref.Digested(j.Repository, j.Index), r.nameOpts(j.Repository)...)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", j.Image, err)
		}
		to, err := remote.Get(pushed, r.remoteOpts(ctx)...)
		if err != nil {
			return nil, fmt.Errorf("image %s: checking the pushed index %s: %w", j.Image, pushed, err)
		}
		if !to.MediaType.IsIndex() {
			return nil, fmt.Errorf("image %s: %s is not an image index", j.Image, pushed)
		}
		for _, t := range j.Tags {
			tagged := ref.Tagged(j.Repository, t)
			tag, err := name.NewTag(tagged, r.nameOpts(j.Repository)...)
			if err != nil {
				return nil, fmt.Errorf("image %s: %w", j.Image, err)
			}
			before, err := r.current(ctx, tag)
			if err != nil {
				return nil, fmt.Errorf("image %s: reading %s before moving it: %w", j.Image, tag, err)
			}
			moves = append(moves, move{tag: tag, ref: tagged, to: to, before: before})
		}
	}
	for i, m := range moves {
		if m.before != nil && m.before.Digest == m.to.Digest {
			continue // already there
		}
		err := context.Cause(ctx)
		if err == nil {
			err = remote.Tag(m.tag, m.to, r.remoteOpts(ctx)...)
			if err != nil && ctx.Err() != nil {
				// Stopped (a signal, say): that is the reason to give,
				// not how the request happened to end.
				err = context.Cause(ctx)
			}
		}
		if err != nil {
			// The failed move may have reached the registry: put it back
			// too.
			return nil, r.rollback(ctx, moves[:i+1], len(moves), err)
		}
	}
	return r.readBack(ctx, moves)
}

// current is what tag points at, or nil when it does not exist.
func (r Registry) current(ctx context.Context, tag name.Tag) (*remote.Descriptor, error) {
	d, err := remote.Get(tag, r.remoteOpts(ctx)...)
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	return d, err
}

// rollback puts the tags of moves back where they were, in reverse
// order; the last of moves is the one that failed, of total. It runs to
// its end even when ctx was cancelled (a second Ctrl-C included), within
// rollbackTimeout.
func (r Registry) rollback(ctx context.Context, moves []move, total int, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	e := &TagMoveError{Tag: moves[len(moves)-1].ref, Err: cause, Total: total}
	// The failed move, last of moves, may still land at the registry
	// after its request was given up: put it back last, whatever a read
	// says now, and the others newest first.
	last := len(moves) - 1
	order := []int{}
	for i := last - 1; i >= 0; i-- {
		order = append(order, i)
	}
	order = append(order, last)
	for _, i := range order {
		m := moves[i]
		if m.before != nil && m.before.Digest == m.to.Digest {
			continue // never moved
		}
		if i == last && m.before == nil {
			if now, err := r.current(ctx, m.tag); err == nil && now == nil {
				continue // the failed move of a new tag did not happen
			}
		}
		if m.before != nil {
			if err := remote.Tag(m.tag, m.before, r.remoteOpts(ctx)...); err != nil {
				if now, rerr := r.current(ctx, m.tag); i == last && rerr == nil && now != nil && now.Digest == m.before.Digest {
					continue // the failed move did not happen
				}
				e.Unrestored = append(e.Unrestored, TagLeft{Ref: m.ref, Index: digest.Digest(m.to.Digest.String()), Was: digest.Digest(m.before.Digest.String()), Err: err.Error()})
				continue
			}
			e.Restored = append(e.Restored, m.ref)
			continue
		}
		err := remote.Delete(m.tag, r.remoteOpts(ctx)...)
		var te *transport.Error
		if err != nil && !(errors.As(err, &te) && te.StatusCode == http.StatusNotFound) {
			e.Unrestored = append(e.Unrestored, TagLeft{Ref: m.ref, Index: digest.Digest(m.to.Digest.String()), Err: err.Error()})
			continue
		}
		if err == nil {
			e.Deleted = append(e.Deleted, m.ref)
		}
	}
	return e
}
