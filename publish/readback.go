package publish

import (
	"context"

	digest "github.com/opencontainers/go-digest"
)

// readBack reads every moved tag back, concurrently, and returns the
// references that point at the index they were moved to, in the order of
// moves, and a *TagRaceError naming any that do not. Registries have no
// transaction over several tags: two releases of the same tags at once
// interleave their moves, and only reading them back tells. The tags are
// all moved by now, so the read-back runs to its end even when ctx was
// cancelled, within rollbackTimeout: it is what says whether the release
// happened.
func (s *tagSession) readBack(ctx context.Context, ms moves) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	got := make([]TagAt, len(ms))
	s.each(seq(len(ms)), ms.host, nil, func(i int) {
		m := &ms[i]
		got[i] = TagAt{Ref: m.ref}
		// No such tag (d nil): deleted since, by another release or by
		// hand.
		switch d, err := s.current(ctx, m.tag); {
		case err != nil:
			got[i].Err = err.Error()
		case d != nil:
			got[i].Digest = digest.Digest(d.Digest.String())
		}
	})
	var moved []string
	race := &TagRaceError{Total: len(ms)}
	for i, m := range ms {
		switch t := got[i]; {
		case t.Err != "":
			race.Unread = append(race.Unread, t)
		case t.Digest != digest.Digest(m.to.Digest.String()):
			race.Elsewhere = append(race.Elsewhere, t)
		default:
			moved = append(moved, m.ref)
		}
	}
	if len(race.Elsewhere)+len(race.Unread) > 0 {
		return moved, race
	}
	return moved, nil
}
