package pipeline_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/solve"
	digest "github.com/opencontainers/go-digest"
)

// holdSolver holds image b's solve until image a's index is pushed.
type holdSolver struct {
	*fakeSolver
	aIndexed <-chan struct{}
}

func (h *holdSolver) Solve(ctx context.Context, reqs []solve.Request) ([]*solve.Result, error) {
	if reqs[0].Image == "b" {
		select {
		case <-h.aIndexed:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	return h.fakeSolver.Solve(ctx, reqs)
}

// signalPublisher closes aIndexed when image a's index is pushed.
type signalPublisher struct {
	*fakePublisher
	aIndexed chan struct{}
}

func (p *signalPublisher) PushIndex(ctx context.Context, repo string, ms []publish.Manifest, ann map[string]string) (digest.Digest, error) {
	d, err := p.fakePublisher.PushIndex(ctx, repo, ms, ann)
	if repo == "ghcr.io/acme/a" {
		close(p.aIndexed)
	}
	return d, err
}

// An image's index is pushed as soon as the image is built, not once
// every image is: here b's solve cannot end before a's index is pushed.
// Tags still move only after both.
func TestIndexPushedWhenImageBuilt(t *testing.T) {
	s := load(t, twoImageSpec)
	sv, pub := newFakes()
	indexed := make(chan struct{})
	hs := &holdSolver{fakeSolver: sv, aIndexed: indexed}
	sp := &signalPublisher{fakePublisher: pub, aIndexed: indexed}
	// The deadline only ends a run that would otherwise wait for ever.
	ctx, cancel := context.WithTimeoutCause(context.Background(), time.Minute, errHeld)
	defer cancel()
	results, err := run(ctx, s, hs, sp, runOpts{Push: true})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(results) != 2 || results[0].Digest == "" || results[1].Digest == "" {
		t.Fatalf("results %+v, want both images' indexes", results)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.moves) != 1 || len(pub.moves[0]) != 2 {
		t.Errorf("MoveTags calls %+v, want one moving both images' tags", pub.moves)
	}
}

var errHeld = errors.New("image a's index was never pushed while b was being built")
