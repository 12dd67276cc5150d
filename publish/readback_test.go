package publish_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/bricklayer-build/bricklayer/publish"
)

// pubTestSecondWriter lets each tag PUT reach the registry, then, for the
// PUT of tag, runs write (another release's move) before the answer
// reaches MoveTags: a race the read-back must see, with no timing in it.
func pubTestSecondWriter(tag string, write func()) *pubTestPutRecorder {
	var once sync.Once
	return &pubTestPutRecorder{hook: func(_ int, tg string, req *http.Request) (bool, *http.Response, error) {
		if tg != tag {
			return false, nil, nil
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		once.Do(write)
		return true, resp, err
	}}
}

func pubTestRaceError(t *testing.T, err error) *publish.TagRaceError {
	t.Helper()
	var race *publish.TagRaceError
	if !errors.As(err, &race) {
		t.Fatalf("MoveTags error %T %v, want a *TagRaceError", err, err)
	}
	var tme *publish.TagMoveError
	if errors.As(err, &tme) {
		t.Errorf("a race is a *TagMoveError too (%v): nothing failed to move", err)
	}
	return race
}

func TestMoveTagsRace(t *testing.T) {
	f := pubTestNewFixture(t, "t0", "t1")
	// Another release puts t1 back on the old index right after our move.
	f.reg.Transport = pubTestSecondWriter("t1", func() { pubTestTags(t, f.repo, f.old, "t1") })
	moved, err := f.reg.MoveTags(context.Background(), f.job("t0", "t1", "n0"))
	race := pubTestRaceError(t, err)
	pubTestSame(t, "moved", moved, pubTestRefs(f.repo, "t0", "n0"))
	if len(race.Elsewhere) != 1 || race.Elsewhere[0].Ref != f.repo+":t1" || race.Elsewhere[0].Digest != f.old || race.Total != 3 {
		t.Errorf("TagRaceError %+v, want t1 at %s of 3", race, f.old)
	}
	msg := err.Error()
	if want := "1 of 3 tags point elsewhere, so another release moved them at the same time: " + f.repo + ":t1 at " + string(f.old); !strings.Contains(msg, want) {
		t.Errorf("Error() = %q, want %q in it", msg, want)
	}
	// Nothing is put back: that could undo the other release.
	pubTestWant(t, f.repo, f.new, "t0", "n0")
	pubTestWant(t, f.repo, f.old, "t1")
}

func TestMoveTagsRaceDeleted(t *testing.T) {
	f := pubTestNewFixture(t, "t0")
	f.reg.Transport = pubTestSecondWriter("n0", func() {
		tag, err := name.NewTag(f.repo+":n0", name.Insecure)
		if err == nil {
			err = remote.Delete(tag)
		}
		if err != nil {
			t.Error(err)
		}
	})
	_, err := f.reg.MoveTags(context.Background(), f.job("t0", "n0"))
	race := pubTestRaceError(t, err)
	if len(race.Elsewhere) != 1 || race.Elsewhere[0].Digest != "" {
		t.Errorf("Elsewhere %+v, want n0 with no digest", race.Elsewhere)
	}
	if !strings.Contains(err.Error(), f.repo+":n0 deleted") {
		t.Errorf("Error() = %q", err)
	}
}

// pubTestHeadBarrier holds each tag HEAD until need of them are in flight
// at once: a read-back one tag at a time never gets there.
type pubTestHeadBarrier struct {
	need int

	mu            sync.Mutex
	inflight, max int
	heads         int
	opened        bool
	open          chan struct{}
}

func (b *pubTestHeadBarrier) RoundTrip(req *http.Request) (*http.Response, error) {
	_, ref, ok := strings.Cut(req.URL.Path, "/manifests/")
	if req.Method != http.MethodHead || !ok || strings.HasPrefix(ref, "sha256:") {
		return http.DefaultTransport.RoundTrip(req)
	}
	b.mu.Lock()
	b.heads++
	b.inflight++
	b.max = max(b.max, b.inflight)
	if b.inflight == b.need && !b.opened {
		b.opened = true
		close(b.open)
	}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.inflight--
		b.mu.Unlock()
	}()
	select {
	case <-b.open:
	case <-time.After(20 * time.Second):
		// A guard, not a wait: reached only when reads are serial.
		return nil, fmt.Errorf("%d reads in flight at most, want %d", b.max, b.need)
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestMoveTagsReadBackConcurrent(t *testing.T) {
	var tags []string
	for i := range 40 {
		tags = append(tags, fmt.Sprintf("n%d", i))
	}
	f := pubTestNewFixture(t)
	b := &pubTestHeadBarrier{need: 8, open: make(chan struct{})}
	f.reg.Transport = b
	moved, err := f.reg.MoveTags(context.Background(), f.job(tags...))
	if err != nil {
		t.Fatal(err)
	}
	pubTestSame(t, "moved", moved, pubTestRefs(f.repo, tags...))
	b.mu.Lock()
	defer b.mu.Unlock()
	// Each tag is read twice: where it points before the move, and back.
	if b.heads != 2*len(tags) {
		t.Errorf("%d tag HEADs, want %d", b.heads, 2*len(tags))
	}
	if b.max > 16 {
		t.Errorf("%d reads in flight at once: the read-back is not bounded", b.max)
	}
}

// TestTagErrorsSummarised: hundreds of tags make one short line; every
// tag is in the details.
func TestTagErrorsSummarised(t *testing.T) {
	e := &publish.TagMoveError{Tag: "r:t253", Err: errors.New("connection refused"), Total: 400}
	for i := range 253 {
		e.Unrestored = append(e.Unrestored, publish.TagLeft{Ref: fmt.Sprintf("r:t%d", 252-i), Was: "sha256:old", Err: "connection refused"})
	}
	for i := range 147 {
		e.Restored = append(e.Restored, fmt.Sprintf("r:u%d", i))
	}
	msg := e.Error()
	for _, want := range []string{"253 of 400 tags NOT PUT BACK", "r:t252, r:t251", "and 243 more", "put back: r:u0", "and 137 more"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q, want %q in it", msg, want)
		}
	}
	if len(msg) > 1000 || strings.Contains(msg, "\n") {
		t.Errorf("Error() is %d bytes on one line or more: %q", len(msg), msg)
	}
	if d := e.Details(); len(d) != 400 || d[0] != "NOT PUT BACK r:t252 (was sha256:old): connection refused" || d[253] != "put back r:u0" {
		t.Errorf("Details() has %d lines, starting %q", len(d), d[:2])
	}

	race := &publish.TagRaceError{Total: 60}
	for i := range 32 {
		race.Elsewhere = append(race.Elsewhere, publish.TagAt{Ref: fmt.Sprintf("r:t%d", i), Digest: "sha256:other"})
	}
	race.Elsewhere = append(race.Elsewhere, publish.TagAt{Ref: "r:gone"})
	msg = race.Error()
	for _, want := range []string{"33 of 60 tags point elsewhere", "r:t9 and 22 more at sha256:other; r:gone deleted"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q, want %q in it", msg, want)
		}
	}
	if d := race.Details(); len(d) != 33 || d[32] != "elsewhere r:gone (deleted)" {
		t.Errorf("Details() = %q", d)
	}
}
