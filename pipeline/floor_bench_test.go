//go:build benchfloor

package pipeline_test

import (
	"context"
	"strings"
	"testing"
)

// The benchmark floor stops a push once BuildKit has pushed each
// platform: no index of ours is read or pushed and no tag moves, so that
// what it measures is BuildKit's share alone (hack/test.sh runs this with
// -tags benchfloor; without the tag, the other tests see every step).
func TestSolveOnlyFloor(t *testing.T) {
	s := load(t, twoImageSpec)
	sv, pub := newFakes()
	results, err := run(context.Background(), s, sv, pub, runOpts{Push: true})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(results) != 2 {
		t.Fatalf("results %+v, want both images", results)
	}
	for _, r := range results {
		if r.Digest != "" || len(r.Tags) != 0 {
			t.Errorf("image %s: index %q, tags %v; want neither", r.Name, r.Digest, r.Tags)
		}
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.pushes) != 0 || len(pub.moves) != 0 {
		t.Errorf("PushIndex calls %+v, MoveTags calls %+v; want none", pub.pushes, pub.moves)
	}
	// The solver's events are in the same list: only they may be.
	for _, e := range pub.ev.all() {
		if e != "check" && !strings.HasPrefix(e, "solve ") {
			t.Errorf("calls %v: %q is the publisher's, want none of its", pub.ev.all(), e)
		}
	}
}
