package publish

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// defaultTagLimit bounds the requests of a tag move in flight at once to
// one registry: hundreds of tags move in a few dozen round trips without
// flooding the registry.
const defaultTagLimit = 16

// tagLimit is how many requests of a tag move go to one registry at once.
func (r Registry) tagLimit() int {
	if r.tagRequests > 0 {
		return r.tagRequests
	}
	return defaultTagLimit
}

// defaultTagGrace is how long the moves in flight when a tag move is
// stopped (a signal) get to be answered before they are given up: a move
// given up may still land at the registry after the roll-back put its
// tag back, while one answered is known. Short enough that the grace and
// a roll-back fit in the seconds CI gives a cancelled job before it
// kills it.
const defaultTagGrace = 2 * time.Second

// inFlight is the context of the move requests: it ends defaultTagGrace
// (or r.tagGrace) after ctx, with ctx's cause. stop releases it.
func (r Registry) inFlight(ctx context.Context) (moves context.Context, stop func()) {
	grace := r.tagGrace
	if grace <= 0 {
		grace = defaultTagGrace
	}
	moves, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	done := make(chan struct{})
	unhook := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(context.Cause(ctx))
		case <-done:
		}
	})
	return moves, func() {
		unhook()
		close(done)
		cancel(nil)
	}
}

// tagSession is the registry connections of one MoveTags (r's shared
// ones when r is Shared): a puller and a pusher that authenticate once per
// repository (go-containerregistry's remote.Tag and remote.Get ping and
// authenticate anew on every call).
type tagSession struct {
	limit int
	pull  *remote.Puller
	push  *remote.Pusher
}

func (r Registry) tagSession() (*tagSession, error) {
	pull, push, err := r.clients()
	if err != nil {
		return nil, err
	}
	return &tagSession{limit: r.tagLimit(), pull: pull, push: push}, nil
}

// each calls do(i) for every i of idx, with at most s.limit calls in
// flight for each registry (host(i)), taking them in the order of idx
// within a registry. Once stop (when not nil) says so it starts no more;
// it returns when every call it started has returned.
func (s *tagSession) each(idx []int, host func(i int) string, stop func() bool, do func(i int)) {
	queues := map[string][]int{}
	var hosts []string
	for _, i := range idx {
		h := host(i)
		if _, ok := queues[h]; !ok {
			hosts = append(hosts, h)
		}
		queues[h] = append(queues[h], i)
	}
	var wg sync.WaitGroup
	for _, h := range hosts {
		q := queues[h]
		var mu sync.Mutex
		next := 0
		take := func() (int, bool) {
			mu.Lock()
			defer mu.Unlock()
			if next == len(q) || (stop != nil && stop()) {
				return 0, false
			}
			next++
			return q[next-1], true
		}
		for range min(s.limit, len(q)) {
			wg.Go(func() {
				for i, ok := take(); ok; i, ok = take() {
					do(i)
				}
			})
		}
	}
	wg.Wait()
}

// current is the descriptor (digest, media type, size) of what tag points
// at, or nil when there is no such tag: a HEAD request, or a GET when the
// registry's answer to HEAD lacks what a descriptor needs.
func (s *tagSession) current(ctx context.Context, tag name.Tag) (*v1.Descriptor, error) {
	d, err := s.pull.Head(ctx, tag)
	var te *transport.Error
	var ue *url.Error
	if err != nil && !errors.As(err, &te) && !errors.As(err, &ue) && ctx.Err() == nil {
		// Answered, without a digest or a media type: GET says.
		var got *remote.Descriptor
		if got, err = s.pull.Get(ctx, tag); err == nil {
			d = &got.Descriptor
		}
	}
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	return d, err
}
