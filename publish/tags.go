package publish

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
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

// move is one tag to move, where it pointed before (nil: nowhere), and
// what became of its move.
type move struct {
	job int
	tag name.Tag
	// ref is the tag as the job named it (repository:tag).
	ref    string
	to     *remote.Descriptor
	before *remote.Descriptor
	// sent tells that the move's PUT was sent: when err is set too, it
	// may or may not have reached the registry.
	sent bool
	err  error
}

// there tells whether the tag already points where it is to move.
func (m *move) there() bool { return m.before != nil && m.before.Digest == m.to.Digest }

// rollbackTimeout bounds putting tags back, which goes on after an
// interrupt.
const rollbackTimeout = 2 * time.Minute

// MoveTags moves every tag of every index to it. It first checks that
// every index is in its registry (read there, unless r, Shared, pushed it
// in this run: the registry answered that PUT) and records where each tag
// points, so a missing index moves no tag; a failure (or ctx ending)
// while moving puts every moved tag back, and deletes those that did not
// exist, before it returns a *TagMoveError. Once every tag is moved it reads them all back:
// tags another release moved meanwhile are a *TagRaceError. It returns the
// references moved (and read back where they were moved to), each as its
// job's repository, ":" and the tag.
//
// The requests of each step go to a registry a few at a time
// (defaultTagLimit), so a release of hundreds of tags costs a few dozen
// round trips, not hundreds.
func (r Registry) MoveTags(ctx context.Context, jobs []Tagging) ([]string, error) {
	s, err := r.tagSession()
	if err != nil {
		return nil, err
	}
	ms, err := s.prepare(ctx, r, jobs)
	if err != nil {
		return nil, err
	}
	var todo []int
	for i := range ms {
		if !ms[i].there() {
			todo = append(todo, i)
		}
	}
	// Once ctx ends (a signal) or a move fails, no move starts; those in
	// flight get their answer, within a grace.
	mctx, release := r.inFlight(ctx)
	defer release()
	var failed atomic.Bool
	stop := func() bool { return failed.Load() || ctx.Err() != nil }
	s.each(todo, ms.host, stop, func(i int) {
		m := &ms[i]
		m.sent = true
		m.err = s.push.Put(mctx, m.tag, m.to)
		if m.err != nil {
			if mctx.Err() != nil {
				// Given up after the grace: the signal is the reason to
				// give, not how the request happened to end.
				m.err = context.Cause(mctx)
			}
			failed.Store(true)
		}
	})
	if i := ms.firstFailed(ctx, todo); i >= 0 {
		return nil, s.rollback(ctx, ms, i)
	}
	return s.readBack(ctx, ms)
}

// moves are the tag moves of a MoveTags, in the order of its jobs and
// their tags.
type moves []move

func (ms moves) host(i int) string { return ms[i].tag.Context().RegistryStr() }

// firstFailed is the first move of todo whose move failed, or, when none
// did and ctx ended before every one was sent, the first not sent (given
// ctx's cause); -1 when every move of todo was made. The first in order,
// not in time, so that the same failure reads the same whichever request
// ended first.
func (ms moves) firstFailed(ctx context.Context, todo []int) int {
	for _, i := range todo {
		if ms[i].err != nil {
			return i
		}
	}
	for _, i := range todo {
		if !ms[i].sent {
			ms[i].err = context.Cause(ctx)
			return i
		}
	}
	return -1
}

// prepare checks that every job's index is in its registry and reads
// where each tag points, concurrently; the first error, in the order of
// jobs and tags, stops it before anything is moved.
func (s *tagSession) prepare(ctx context.Context, r Registry, jobs []Tagging) (moves, error) {
	pushed := make([]name.Digest, len(jobs))
	var ms moves
	for j, job := range jobs {
		if job.Index == "" {
			return nil, fmt.Errorf("image %s: no index digest to tag", job.Image)
		}
		var err error
		pushed[j], err = name.NewDigest(ref.Digested(job.Repository, job.Index), r.nameOpts(job.Repository)...)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", job.Image, err)
		}
		for _, t := range job.Tags {
			tagged := ref.Tagged(job.Repository, t)
			tag, err := name.NewTag(tagged, r.nameOpts(job.Repository)...)
			if err != nil {
				return nil, fmt.Errorf("image %s: %w", job.Image, err)
			}
			ms = append(ms, move{job: j, tag: tag, ref: tagged})
		}
	}

	// Each index, once: every tag of a job is PUT with the same bytes.
	to := make([]*remote.Descriptor, len(jobs))
	errs := make([]error, len(jobs))
	var failed atomic.Bool
	s.each(seq(len(jobs)), func(j int) string { return pushed[j].RegistryStr() }, failed.Load, func(j int) {
		d, err := r.pushedIndex(ctx, s, pushed[j])
		switch {
		case err != nil:
			err = fmt.Errorf("image %s: checking the pushed index %s: %w", jobs[j].Image, pushed[j], err)
		case !d.MediaType.IsIndex():
			err = fmt.Errorf("image %s: %s is not an image index", jobs[j].Image, pushed[j])
		}
		to[j], errs[j] = d, err
		if err != nil {
			failed.Store(true)
		}
	})
	if err := firstErr(errs); err != nil {
		return nil, err
	}

	// Where each tag points: its digest, by HEAD.
	for i := range ms {
		ms[i].to = to[ms[i].job]
	}
	errs = make([]error, len(ms))
	s.each(seq(len(ms)), ms.host, failed.Load, func(i int) {
		m := &ms[i]
		d, err := s.current(ctx, m.tag)
		if err != nil {
			errs[i] = fmt.Errorf("image %s: reading %s before moving it: %w", jobs[m.job].Image, m.tag, err)
			failed.Store(true)
			return
		}
		if d != nil {
			// The digest for now; the manifest, to put back, below.
			m.before = &remote.Descriptor{Descriptor: *d}
		}
	})
	if err := firstErr(errs); err != nil {
		return nil, err
	}
	return ms, s.readBefore(ctx, jobs, ms)
}

// pushedIndex is the index at n: the one r pushed there in this run (r
// Shared), else read from the registry.
func (r Registry) pushedIndex(ctx context.Context, s *tagSession, n name.Digest) (*remote.Descriptor, error) {
	if r.conns != nil {
		if d, ok := r.conns.indexes.get(n); ok {
			return d, nil
		}
	}
	return s.pull.Get(ctx, n)
}

// readBefore reads the manifest each tag pointed at before, to put it
// back on failure: once for each repository and digest, however many
// tags point at it (a release's tags mostly point at the last release).
func (s *tagSession) readBefore(ctx context.Context, jobs []Tagging, ms moves) error {
	type key struct {
		repo   string
		digest string
	}
	first := map[key]int{} // the first move of each manifest to read
	var reads []int
	for i := range ms {
		m := &ms[i]
		if m.before == nil || m.there() {
			continue
		}
		k := key{m.tag.Context().Name(), m.before.Digest.String()}
		if _, ok := first[k]; !ok {
			first[k] = i
			reads = append(reads, i)
		}
	}
	got := make([]*remote.Descriptor, len(ms))
	errs := make([]error, len(ms))
	var failed atomic.Bool
	s.each(reads, ms.host, failed.Load, func(i int) {
		m := &ms[i]
		pinned := m.tag.Context().Digest(m.before.Digest.String())
		got[i], errs[i] = s.pull.Get(ctx, pinned)
		if errs[i] != nil {
			errs[i] = fmt.Errorf("image %s: reading %s, where %s points, before moving it: %w", jobs[m.job].Image, pinned, m.tag, errs[i])
			failed.Store(true)
		}
	})
	if err := firstErr(errs); err != nil {
		return err
	}
	for i := range ms {
		m := &ms[i]
		if m.before == nil || m.there() {
			continue
		}
		m.before = got[first[key{m.tag.Context().Name(), m.before.Digest.String()}]]
	}
	return nil
}

// seq is 0, 1, ..., n-1.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// firstErr is the first error of errs that is not nil.
func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
