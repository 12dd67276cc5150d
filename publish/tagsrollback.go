package publish

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	digest "github.com/opencontainers/go-digest"
)

// putBack is what putting one tag back did.
type putBack int

const (
	untouched putBack = iota // it never moved: nothing to do
	restored                 // it points where it did before
	deleted                  // it did not exist and was deleted again
	left                     // it could not be put back
)

// rollback puts the tags of every move sent back where they were; the
// move of failed (in moves) is the failure to report. It runs to its end
// even when ctx was cancelled (a second Ctrl-C included), within
// rollbackTimeout.
//
// The moves the registry answered are put back first, then those whose
// request failed or was given up: such a move may still land at the
// registry after its request was given up, so it is put back last,
// whatever a read says now. The lists of the error name the tags in that
// order, each part newest first, however the requests interleaved.
func (s *tagSession) rollback(ctx context.Context, ms moves, failed int) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	var answered, unsure []int
	for i := len(ms) - 1; i >= 0; i-- {
		switch m := &ms[i]; {
		case !m.sent:
		case m.err == nil:
			answered = append(answered, i)
		default:
			unsure = append(unsure, i)
		}
	}
	did := make([]putBack, len(ms))
	why := make([]error, len(ms))
	s.each(answered, ms.host, nil, func(i int) { did[i], why[i] = s.putBack(ctx, &ms[i], false) })
	s.each(unsure, ms.host, nil, func(i int) { did[i], why[i] = s.putBack(ctx, &ms[i], true) })

	e := &TagMoveError{Tag: ms[failed].ref, Err: ms[failed].err, Total: len(ms)}
	for _, i := range slices.Concat(answered, unsure) {
		m := &ms[i]
		switch did[i] {
		case restored:
			e.Restored = append(e.Restored, m.ref)
		case deleted:
			e.Deleted = append(e.Deleted, m.ref)
		case left:
			l := TagLeft{Ref: m.ref, Index: digest.Digest(m.to.Digest.String()), Err: why[i].Error()}
			if m.before != nil {
				l.Was = digest.Digest(m.before.Digest.String())
			}
			e.Unrestored = append(e.Unrestored, l)
		}
	}
	return e
}

// putBack points m's tag back where it was, or deletes it when it did not
// exist. A move that was not answered (unsure) may not have happened:
// a new tag that is not there, or a tag that cannot be put back but
// points where it did anyway, is left untouched.
func (s *tagSession) putBack(ctx context.Context, m *move, unsure bool) (putBack, error) {
	if unsure && m.before == nil {
		if now, err := s.current(ctx, m.tag); err == nil && now == nil {
			return untouched, nil // the move of a new tag did not happen
		}
	}
	if m.before != nil {
		err := s.push.Put(ctx, m.tag, m.before)
		if err == nil {
			return restored, nil
		}
		if unsure {
			if now, rerr := s.current(ctx, m.tag); rerr == nil && now != nil && now.Digest == m.before.Digest {
				return untouched, nil // the move did not happen
			}
		}
		return left, err
	}
	err := s.push.Delete(ctx, m.tag)
	var te *transport.Error
	switch {
	case errors.As(err, &te) && te.StatusCode == http.StatusNotFound:
		return untouched, nil
	case err != nil:
		return left, err
	}
	return deleted, nil
}
