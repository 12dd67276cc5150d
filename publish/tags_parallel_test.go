package publish_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/registry"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/ref"
)

// pubTestMeter is an http.Handler in front of a registry that waits
// delay before each request and counts the requests, by method and what
// they name, and how many were in flight at once.
type pubTestMeter struct {
	next  http.Handler
	delay time.Duration

	mu            sync.Mutex
	inflight, max int
	count         map[string]int
}

func (h *pubTestMeter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.inflight++
	h.max = max(h.max, h.inflight)
	h.count[pubTestRequestKind(r)]++
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.inflight--
		h.mu.Unlock()
	}()
	time.Sleep(h.delay) // the latency of a registry far away
	h.next.ServeHTTP(w, r)
}

// pubTestRequestKind is "METHOD what" for a registry request: what is
// "tag", "digest" (a manifest by tag or digest), or the path for others.
func pubTestRequestKind(r *http.Request) string {
	_, ref, ok := strings.Cut(r.URL.Path, "/manifests/")
	switch {
	case !ok:
		return r.Method + " " + r.URL.Path
	case strings.HasPrefix(ref, "sha256:"):
		return r.Method + " digest"
	}
	return r.Method + " tag"
}

func (h *pubTestMeter) stats() (maxInflight int, count map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.max, h.count
}

// pubTestMeteredFixture is pubTestNewFixture with its registry behind a
// pubTestMeter (that starts counting once the fixture is made).
func pubTestMeteredFixture(t *testing.T, delay time.Duration, oldTags ...string) (pubTestFixture, *pubTestMeter) {
	t.Helper()
	m := &pubTestMeter{next: registry.New(registry.Logger(log.New(io.Discard, "", 0))), count: map[string]int{}}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	repo := host + "/test/app"
	reg := publish.Registry{Insecure: []ref.Host{ref.Host(host)}, Keychain: authn.NewMultiKeychain()}
	f := pubTestFixture{repo: repo, reg: reg, old: pubTestIndex(t, reg, repo), new: pubTestIndex(t, reg, repo)}
	pubTestTags(t, repo, f.old, oldTags...)
	m.mu.Lock()
	m.count, m.max, m.delay = map[string]int{}, 0, delay
	m.mu.Unlock()
	return f, m
}

// pubTestNames is prefix0, prefix1, ... prefix(n-1).
func pubTestNames(prefix string, n int) []string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf("%s%d", prefix, i))
	}
	return s
}

// TestMoveTagsSlowRegistry: 100 tags on a registry 20 ms away move in a
// fraction of the 100 x 20 ms that moving them one after another takes
// for the PUTs alone (and as much again for each read).
func TestMoveTagsSlowRegistry(t *testing.T) {
	const n, delay = 100, 20 * time.Millisecond
	f, m := pubTestMeteredFixture(t, delay, pubTestNames("t", n/2)...)
	tags := slices.Concat(pubTestNames("t", n/2), pubTestNames("n", n/2))
	start := time.Now()
	moved, err := f.reg.MoveTags(context.Background(), f.job(tags...))
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	pubTestSame(t, "moved", moved, pubTestRefs(f.repo, tags...))
	maxIn, count := m.stats()
	t.Logf("%d tags moved in %v, %d requests in flight at most: %v", n, took, maxIn, count)
	if took >= n*delay {
		t.Errorf("moving %d tags took %v, not under %v: the moves do not overlap", n, took, n*delay)
	}
	if maxIn < 2 || maxIn > 16 {
		t.Errorf("%d requests in flight at most, want 2 to 16", maxIn)
	}
	pubTestWant(t, f.repo, f.new, tags...)
}

// TestMoveTagsRoundTrips: the index is read once and PUT as is under
// each tag; each tag is read by HEAD before and after its move; what the
// tags pointed at before is read once; each repository is authenticated
// once for reading and once for writing.
func TestMoveTagsRoundTrips(t *testing.T) {
	const n = 40
	f, m := pubTestMeteredFixture(t, 0, pubTestNames("t", n)...)
	tags := slices.Concat(pubTestNames("t", n), pubTestNames("n", n))
	if _, err := f.reg.MoveTags(context.Background(), f.job(tags...)); err != nil {
		t.Fatal(err)
	}
	_, count := m.stats()
	want := map[string]int{
		"GET digest": 2, // the index, and the one the tags pointed at
		"HEAD tag":   4 * n,
		"PUT tag":    2 * n,
		"GET /v2/":   2, // the pings: one to read, one to write
	}
	for k, v := range count {
		if want[k] != v {
			t.Errorf("%d requests %s, want %d (all: %v)", v, k, want[k], count)
		}
	}
	for k, v := range want {
		if count[k] == 0 {
			t.Errorf("no request %s, want %d", k, v)
		}
	}
}

// TestMoveTagsLimit: at most the limit of requests reach a registry at
// once.
func TestMoveTagsLimit(t *testing.T) {
	f, m := pubTestMeteredFixture(t, 2*time.Millisecond)
	f.reg = f.reg.WithTagLimit(3)
	if _, err := f.reg.MoveTags(context.Background(), f.job(pubTestNames("n", 30)...)); err != nil {
		t.Fatal(err)
	}
	if maxIn, _ := m.stats(); maxIn > 3 {
		t.Errorf("%d requests in flight at once, want 3 at most", maxIn)
	}
}

// pubTestParallelTags is 60 tags, t* pointing at the old index and n*
// new, interleaved: enough for 16 moves at once, several rounds of them.
func pubTestParallelTags() (tags, old []string) {
	for i := range 30 {
		tags = append(tags, fmt.Sprintf("t%d", i), fmt.Sprintf("n%d", i))
		old = append(old, fmt.Sprintf("t%d", i))
	}
	return tags, old
}

// pubTestNthFault is a transport that, for the nth tag PUT (counting
// from 1), lands it first when land is set, then fails it and every PUT
// of its tag after (not landing); with thenAll it fails every tag PUT
// and DELETE after that too. It records the tags whose move was answered
// well (their first PUT) and how many PUTs were in flight at once.
type pubTestNthFault struct {
	n       int
	land    bool
	thenAll bool

	mu                    sync.Mutex
	puts                  int
	failing               string
	failed                bool
	seen, answered        map[string]bool
	inflight, maxInflight int
}

func (p *pubTestNthFault) RoundTrip(req *http.Request) (*http.Response, error) {
	tag := pubTestTagOf(req)
	if tag == "" && req.Method != http.MethodDelete {
		return http.DefaultTransport.RoundTrip(req)
	}
	p.mu.Lock()
	var nth, move bool
	if tag != "" {
		p.puts++
		nth, move = p.puts == p.n, !p.seen[tag]
		p.seen[tag] = true
		if nth {
			p.failing = tag
		}
	}
	fail := (p.failed && p.thenAll) || (!p.land && tag != "" && tag == p.failing)
	p.failed = p.failed || nth
	p.inflight++
	p.maxInflight = max(p.maxInflight, p.inflight)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inflight--
		p.mu.Unlock()
	}()
	if fail || (nth && !p.land) {
		return nil, errPubTestInjected
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if nth {
		if err == nil {
			resp.Body.Close()
		}
		return nil, errPubTestInjected // landed, answer lost
	}
	if err == nil && move && resp.StatusCode < 300 {
		p.mu.Lock()
		p.answered[tag] = true
		p.mu.Unlock()
	}
	return resp, err
}

// TestMoveTagsParallelFault: the nth of 60 tag moves fails, 16 moves at
// a time; every move the registry answered is put back (or deleted), and
// the lists say so in the order of the tags, newest first, whichever
// request ended first.
func TestMoveTagsParallelFault(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		land    bool
		thenAll bool
	}{
		{name: "first", n: 1},
		{name: "mid", n: 25},
		{name: "mid landed", n: 25, land: true},
		{name: "last", n: 60},
		{name: "last landed", n: 60, land: true},
		{name: "roll-back fails", n: 25, thenAll: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tags, old := pubTestParallelTags()
			f := pubTestNewFixture(t, old...)
			fault := &pubTestNthFault{n: tc.n, land: tc.land, thenAll: tc.thenAll, seen: map[string]bool{}, answered: map[string]bool{}}
			f.reg.Transport = fault
			e := pubTestMoveError(t, f, tags...)
			fault.mu.Lock()
			defer fault.mu.Unlock()
			if tc.n > 1 && fault.maxInflight < 2 {
				t.Errorf("%d tag PUTs in flight at most: the moves did not overlap", fault.maxInflight)
			}
			if !errors.Is(e, errPubTestInjected) || e.Total != len(tags) {
				t.Errorf("error %v, Total %d: want the injected failure, of %d", e, e.Total, len(tags))
			}
			if !tc.thenAll && e.Tag != f.repo+":"+fault.failing {
				t.Errorf("Tag = %q, want the failing %s", e.Tag, fault.failing)
			}
			// What each list should hold, in the order of tags, newest
			// first: the moves answered, then the failed one when it
			// landed.
			var restored, deleted, leftRefs []string
			for _, tg := range slices.Backward(tags) {
				if !fault.answered[tg] {
					continue
				}
				switch {
				case tc.thenAll:
					leftRefs = append(leftRefs, f.repo+":"+tg)
				case strings.HasPrefix(tg, "t"):
					restored = append(restored, f.repo+":"+tg)
				default:
					deleted = append(deleted, f.repo+":"+tg)
				}
			}
			if tc.land {
				if strings.HasPrefix(fault.failing, "t") {
					restored = append(restored, f.repo+":"+fault.failing)
				} else {
					deleted = append(deleted, f.repo+":"+fault.failing)
				}
			}
			pubTestSame(t, "Restored", e.Restored, restored)
			pubTestSame(t, "Deleted", e.Deleted, deleted)
			pubTestSame(t, "Unrestored", pubTestLeft(e), leftRefs)
			if e.RolledBack() == tc.thenAll {
				t.Errorf("RolledBack() = %v: %v", e.RolledBack(), e)
			}
			// The registry: each tag not left where it was, each left one
			// on the new index.
			for _, tg := range tags {
				want := f.old
				switch {
				case slices.Contains(leftRefs, f.repo+":"+tg):
					want = f.new
				case strings.HasPrefix(tg, "n"):
					want = ""
				}
				pubTestWant(t, f.repo, want, tg)
			}
		})
	}
}

// TestMoveTagsParallelCancelled: ctx ends (a signal) at the 20th of 60
// moves, 16 at a time: every move sent, answered or given up, is put back
// and the error is the cancellation.
func TestMoveTagsParallelCancelled(t *testing.T) {
	tags, old := pubTestParallelTags()
	f := pubTestNewFixture(t, old...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &pubTestPutRecorder{}
	// The 20th PUT lands, then ctx ends before its answer: the moves in
	// flight beside it are given up too.
	rec.hook = func(n int, _ string, req *http.Request) (bool, *http.Response, error) {
		if n != 20 {
			return false, nil, nil
		}
		if resp, err := http.DefaultTransport.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
		cancel()
		return true, nil, ctx.Err()
	}
	f.reg.Transport = rec
	moved, err := f.reg.MoveTags(ctx, f.job(tags...))
	if err == nil {
		t.Fatalf("MoveTags succeeded though cancelled, moving %q", moved)
	}
	var tme *publish.TagMoveError
	if !errors.As(err, &tme) || !errors.Is(err, context.Canceled) {
		t.Fatalf("MoveTags error %T %v, want a *TagMoveError of context.Canceled", err, err)
	}
	pubTestSame(t, "Unrestored", pubTestLeft(tme), nil)
	if got := len(tme.Restored) + len(tme.Deleted); got < 20 {
		t.Errorf("%d tags put back, want the 20 moved at least: %v", got, tme)
	}
	f.wantRolledBack(t, tags, old)
}

// TestMoveTagsParallelRace: another release moves one of 60 tags right
// after ours: the read-back names it alone, and nothing is put back.
func TestMoveTagsParallelRace(t *testing.T) {
	tags, old := pubTestParallelTags()
	f := pubTestNewFixture(t, old...)
	f.reg.Transport = pubTestSecondWriter("t17", func() { pubTestTags(t, f.repo, f.old, "t17") })
	moved, err := f.reg.MoveTags(context.Background(), f.job(tags...))
	race := pubTestRaceError(t, err)
	var want []string
	for _, tg := range tags {
		if tg != "t17" {
			want = append(want, tg)
		}
	}
	pubTestSame(t, "moved", moved, pubTestRefs(f.repo, want...))
	if len(race.Elsewhere) != 1 || race.Elsewhere[0].Ref != f.repo+":t17" || race.Elsewhere[0].Digest != digest.Digest(f.old) {
		t.Errorf("Elsewhere %+v, want t17 at %s", race.Elsewhere, f.old)
	}
	pubTestWant(t, f.repo, f.new, want...)
	pubTestWant(t, f.repo, f.old, "t17")
}

// pubTestStopAt is a transport that, at the nth tag PUT, ends ctx (a
// signal) and then runs at (given the request) in place of the round
// trip; it records the tags of the first PUT of each.
func pubTestStopAt(n int, cancel func(), at func(req *http.Request) (*http.Response, error)) *pubTestPutRecorder {
	return &pubTestPutRecorder{hook: func(k int, _ string, req *http.Request) (bool, *http.Response, error) {
		if k != n {
			return false, nil, nil
		}
		cancel()
		resp, err := at(req)
		return true, resp, err
	}}
}

// TestMoveTagsStoppedAnswered: ctx ends (a signal) while moves are at
// the registry: they are not given up, so none can land after the
// roll-back put its tag back; no move starts after.
func TestMoveTagsStoppedAnswered(t *testing.T) {
	tags, old := pubTestParallelTags()
	f := pubTestNewFixture(t, old...)
	f.reg = f.reg.WithTagGrace(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	givenUp := false
	f.reg.Transport = pubTestStopAt(5, cancel, func(req *http.Request) (*http.Response, error) {
		// ctx has ended; the request in flight has not.
		givenUp = req.Context().Err() != nil
		return http.DefaultTransport.RoundTrip(req)
	})
	moved, err := f.reg.MoveTags(ctx, f.job(tags...))
	var tme *publish.TagMoveError
	if !errors.As(err, &tme) || !errors.Is(err, context.Canceled) {
		t.Fatalf("MoveTags = %q, %v; want a *TagMoveError of context.Canceled", moved, err)
	}
	if givenUp {
		t.Error("the move in flight was given up the moment ctx ended")
	}
	pubTestSame(t, "Unrestored", pubTestLeft(tme), nil)
	if n := len(tme.Restored) + len(tme.Deleted); n < 5 || n > 5+15 {
		t.Errorf("%d tags put back, want the 5th and those in flight beside it (16 at most): %v", n, tme)
	}
	f.wantRolledBack(t, tags, old)
}

// TestMoveTagsStoppedHung: a move the registry never answers is given up
// the grace after ctx ends; it is the move named, and put back last.
func TestMoveTagsStoppedHung(t *testing.T) {
	tags, old := pubTestParallelTags()
	f := pubTestNewFixture(t, old...)
	f.reg = f.reg.WithTagGrace(50 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var hung string
	f.reg.Transport = pubTestStopAt(5, cancel, func(req *http.Request) (*http.Response, error) {
		hung = pubTestTagOf(req)
		<-req.Context().Done() // until MoveTags gives it up
		return nil, req.Context().Err()
	})
	_, err := f.reg.MoveTags(ctx, f.job(tags...))
	var tme *publish.TagMoveError
	if !errors.As(err, &tme) || !errors.Is(err, context.Canceled) {
		t.Fatalf("MoveTags error %v, want a *TagMoveError of context.Canceled", err)
	}
	if tme.Tag != f.repo+":"+hung {
		t.Errorf("Tag = %q, want the hung %s", tme.Tag, hung)
	}
	if strings.HasPrefix(hung, "t") {
		if n := len(tme.Restored); n == 0 || tme.Restored[n-1] != f.repo+":"+hung {
			t.Errorf("Restored = %q, want the hung %s last", tme.Restored, hung)
		}
	}
	pubTestSame(t, "Unrestored", pubTestLeft(tme), nil)
	f.wantRolledBack(t, tags, old)
}

// pubTestPairBarrier holds each tag HEAD at two registries until both
// have need of them in flight: a limit over all registries together (of
// need) never gets there, one per registry does.
type pubTestPairBarrier struct {
	need int

	mu       sync.Mutex
	inflight [2]int
	max      [2]int
	opened   bool
	open     chan struct{}
}

func (b *pubTestPairBarrier) handler(side int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pubTestRequestKind(r) != "HEAD tag" {
			next.ServeHTTP(w, r)
			return
		}
		b.mu.Lock()
		b.inflight[side]++
		b.max[side] = max(b.max[side], b.inflight[side])
		if b.inflight[0] >= b.need && b.inflight[1] >= b.need && !b.opened {
			b.opened = true
			close(b.open)
		}
		b.mu.Unlock()
		defer func() {
			b.mu.Lock()
			b.inflight[side]--
			b.mu.Unlock()
		}()
		select {
		case <-b.open:
		case <-time.After(20 * time.Second):
			// A guard, not a wait: reached only when the registries
			// share one limit.
			http.Error(w, "the two registries never had their requests in flight at once", http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TestMoveTagsLimitPerRegistry: the limit is of each registry, not of
// all together.
func TestMoveTagsLimitPerRegistry(t *testing.T) {
	b := &pubTestPairBarrier{need: 2, open: make(chan struct{})}
	var jobs []publish.Tagging
	reg := publish.Registry{Keychain: authn.NewMultiKeychain()}.WithTagLimit(2)
	for side := range 2 {
		srv := httptest.NewServer(b.handler(side, registry.New(registry.Logger(log.New(io.Discard, "", 0)))))
		t.Cleanup(srv.Close)
		host := strings.TrimPrefix(srv.URL, "http://")
		reg.Insecure = append(reg.Insecure, ref.Host(host))
		repo := host + "/test/app"
		jobs = append(jobs, publish.Tagging{Image: fmt.Sprintf("app%d", side), Repository: repo, Index: pubTestIndex(t, reg, repo), Tags: pubTestNames("n", 10)})
	}
	if _, err := reg.MoveTags(context.Background(), jobs); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.max[0] > 2 || b.max[1] > 2 {
		t.Errorf("%v tag reads in flight at most at each registry, want 2 at most", b.max)
	}
}

// wantRolledBack checks that every tag of pubTestParallelTags is as it
// was: the old ones at the old index, the new ones ("n…") absent.
func (f pubTestFixture) wantRolledBack(t *testing.T, tags, old []string) {
	t.Helper()
	pubTestWant(t, f.repo, f.old, old...)
	for _, tg := range tags {
		if strings.HasPrefix(tg, "n") {
			pubTestWant(t, f.repo, "", tg)
		}
	}
}
