package publish

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"
)

// readBackLimit bounds the reads of a read-back in flight at once: a
// release of hundreds of tags is read back in a few dozen round trips
// without flooding the registry.
const readBackLimit = 16

// readBack reads every moved tag back, concurrently, and returns the
// references that point at the index they were moved to, in the order of
// moves, and a *TagRaceError naming any that do not. Registries have no
// transaction over several tags: two releases of the same tags at once
// interleave their moves, and only reading them back tells. The tags are
// all moved by now, so the read-back runs to its end even when ctx was
// cancelled, within rollbackTimeout: it is what says whether the release
// happened.
func (r Registry) readBack(ctx context.Context, moves []move) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	got := make([]TagAt, len(moves))
	var eg errgroup.Group
	eg.SetLimit(readBackLimit)
	for i, m := range moves {
		eg.Go(func() error {
			got[i] = TagAt{Ref: m.ref}
			d, err := remote.Head(m.tag, r.remoteOpts(ctx)...)
			var te *transport.Error
			switch {
			case errors.As(err, &te) && te.StatusCode == http.StatusNotFound:
				// Deleted since: by another release, or by hand.
			case err != nil:
				got[i].Err = err.Error()
			default:
				got[i].Digest = digest.Digest(d.Digest.String())
			}
			return nil
		})
	}
	eg.Wait()
	var moved []string
	race := &TagRaceError{Total: len(moves)}
	for i, m := range moves {
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
