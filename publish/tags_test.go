package publish_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/publish"
)

// The in-process registry of go-containerregistry supports DELETE of a
// tag (manifests.handle deletes the tag's entry), so a tag created by a
// failed MoveTags can be deleted again.

var errPubTestInjected = errors.New("injected failure")

// pubTestTags points repo:tag at d for each tag.
func pubTestTags(t *testing.T, repo string, d digest.Digest, tags ...string) {
	t.Helper()
	ref, err := name.NewDigest(repo+"@"+d.String(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range tags {
		tag, err := name.NewTag(repo+":"+tg, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Tag(tag, desc); err != nil {
			t.Fatal(err)
		}
	}
}

// pubTestWant checks repo:tag points at want ("" for no tag) for each tag.
func pubTestWant(t *testing.T, repo string, want digest.Digest, tags ...string) {
	t.Helper()
	for _, tg := range tags {
		if got := pubTestHead(t, repo+":"+tg); got != want {
			if want == "" {
				t.Errorf("%s exists (%s), want no such tag", tg, got)
			} else {
				t.Errorf("%s points at %q, want %s", tg, got, want)
			}
		}
	}
}

// pubTestRefs is repo:tag for each tag.
func pubTestRefs(repo string, tags ...string) []string {
	var refs []string
	for _, tg := range tags {
		refs = append(refs, repo+":"+tg)
	}
	return refs
}

// pubTestFixture is a registry with an old and a new index, tags
// pointing at the old one.
type pubTestFixture struct {
	repo     string
	reg      publish.Registry
	old, new digest.Digest
}

func pubTestNewFixture(t *testing.T, oldTags ...string) pubTestFixture {
	t.Helper()
	repo, reg := pubTestRegistry(t)
	f := pubTestFixture{repo: repo, reg: reg, old: pubTestIndex(t, reg, repo), new: pubTestIndex(t, reg, repo)}
	if f.old == f.new {
		t.Fatal("the old and new indexes are the same")
	}
	pubTestTags(t, repo, f.old, oldTags...)
	return f
}

// serial is f moving one tag at a time: what is put back, and how it is
// reported, then follows from which move fails, with nothing in flight
// beside it (tags_parallel_test.go has the same under concurrency).
func (f pubTestFixture) serial() pubTestFixture {
	f.reg = f.reg.WithTagLimit(1)
	return f
}

func (f pubTestFixture) job(tags ...string) []publish.Tagging {
	return []publish.Tagging{{Image: "app", Repository: f.repo, Index: f.new, Tags: tags}}
}

// pubTestPutRecorder is a transport that records the tags PUT through it
// and, through hook, may fail or change them.
type pubTestPutRecorder struct {
	mu   sync.Mutex
	puts []string
	// hook, when set, runs for each tag PUT (n counting from 1) and
	// returns done=true with a result to give instead of the registry's.
	hook func(n int, tag string, req *http.Request) (done bool, resp *http.Response, err error)
}

func (p *pubTestPutRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	tag := pubTestTagOf(req)
	if tag == "" {
		return http.DefaultTransport.RoundTrip(req)
	}
	p.mu.Lock()
	p.puts = append(p.puts, tag)
	n := len(p.puts)
	hook := p.hook
	p.mu.Unlock()
	if hook != nil {
		if done, resp, err := hook(n, tag, req); done {
			return resp, err
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (p *pubTestPutRecorder) tagPuts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.puts)
}

func TestMoveTags(t *testing.T) {
	f := pubTestNewFixture(t, "t0", "t1")
	rec := &pubTestPutRecorder{}
	f.reg.Transport = rec
	moved, err := f.reg.MoveTags(context.Background(), f.job("t0", "t1", "n0"))
	if err != nil {
		t.Fatal(err)
	}
	if want := pubTestRefs(f.repo, "t0", "t1", "n0"); !slices.Equal(moved, want) {
		t.Errorf("MoveTags returned %q, want %q", moved, want)
	}
	pubTestWant(t, f.repo, f.new, "t0", "t1", "n0")
	// In any order: the moves run concurrently.
	if got := rec.tagPuts(); !slices.Equal(pubTestSorted(got), []string{"n0", "t0", "t1"}) {
		t.Errorf("tag PUTs %q, want n0, t0, t1", got)
	}

	// Again: every tag is there already; nothing is PUT.
	rec2 := &pubTestPutRecorder{}
	f.reg.Transport = rec2
	moved, err = f.reg.MoveTags(context.Background(), f.job("t0", "t1", "n0"))
	if err != nil {
		t.Fatal(err)
	}
	if want := pubTestRefs(f.repo, "t0", "t1", "n0"); !slices.Equal(moved, want) {
		t.Errorf("second MoveTags returned %q, want %q", moved, want)
	}
	if got := rec2.tagPuts(); len(got) != 0 {
		t.Errorf("second MoveTags PUT %q, want nothing", got)
	}
	pubTestWant(t, f.repo, f.new, "t0", "t1", "n0")
}

func TestMoveTagsMissingIndex(t *testing.T) {
	f := pubTestNewFixture(t, "t0", "t1")
	rec := &pubTestPutRecorder{}
	f.reg.Transport = rec
	missing := pubTestMissingDigest("no such index")
	jobs := append(f.job("t0", "n0"), publish.Tagging{
		Image: "other", Repository: f.repo, Index: missing, Tags: []string{"t1", "n1"},
	})
	moved, err := f.reg.MoveTags(context.Background(), jobs)
	if err == nil {
		t.Fatalf("MoveTags to a missing index succeeded, moving %q", moved)
	}
	var tme *publish.TagMoveError
	if errors.As(err, &tme) {
		t.Errorf("a missing index is a *TagMoveError (%v): nothing should have been moved", err)
	}
	if !strings.Contains(err.Error(), "other") {
		t.Errorf("the error %q does not name the image", err)
	}
	if moved != nil {
		t.Errorf("MoveTags returned %q with its error", moved)
	}
	if got := rec.tagPuts(); len(got) != 0 {
		t.Errorf("tags were PUT: %q", got)
	}
	pubTestWant(t, f.repo, f.old, "t0", "t1")
	pubTestWant(t, f.repo, "", "n0", "n1")
}

func TestMoveTagsNoIndex(t *testing.T) {
	f := pubTestNewFixture(t, "t0")
	jobs := []publish.Tagging{{Image: "app", Repository: f.repo, Tags: []string{"t0"}}}
	if _, err := f.reg.MoveTags(context.Background(), jobs); err == nil {
		t.Fatal("MoveTags without an index digest succeeded")
	}
	pubTestWant(t, f.repo, f.old, "t0")
}

func TestMoveTagsNotAnIndex(t *testing.T) {
	f := pubTestNewFixture(t, "t0")
	img := pubTestPushImage(t, f.repo, pubTestImage(t))
	jobs := []publish.Tagging{{Image: "app", Repository: f.repo, Index: img, Tags: []string{"t0"}}}
	if _, err := f.reg.MoveTags(context.Background(), jobs); err == nil {
		t.Fatal("MoveTags to an image manifest succeeded")
	}
	pubTestWant(t, f.repo, f.old, "t0")
}

// pubTestFailTag fails (without reaching the registry) every PUT of tag,
// and, with thenAll, every tag PUT after the first failure too.
func pubTestFailTag(tag string, thenAll bool) *pubTestPutRecorder {
	var mu sync.Mutex
	failed := false
	return &pubTestPutRecorder{hook: func(_ int, tg string, _ *http.Request) (bool, *http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		if tg == tag || (thenAll && failed) {
			failed = true
			return true, nil, errPubTestInjected
		}
		return false, nil, nil
	}}
}

// pubTestMoveError runs MoveTags of f.new to tags and returns its
// *TagMoveError.
func pubTestMoveError(t *testing.T, f pubTestFixture, tags ...string) *publish.TagMoveError {
	t.Helper()
	moved, err := f.reg.MoveTags(context.Background(), f.job(tags...))
	if err == nil {
		t.Fatalf("MoveTags succeeded despite the failing transport, moving %q", moved)
	}
	var tme *publish.TagMoveError
	if !errors.As(err, &tme) {
		t.Fatalf("MoveTags error %T %v is not a *TagMoveError", err, err)
	}
	if moved != nil {
		t.Errorf("MoveTags returned %q with its error", moved)
	}
	return tme
}

// pubTestLeft is the references of e.Unrestored.
func pubTestLeft(e *publish.TagMoveError) []string {
	var refs []string
	for _, l := range e.Unrestored {
		refs = append(refs, l.Ref)
	}
	return refs
}

// pubTestSorted is a sorted copy of s.
func pubTestSorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func pubTestSame(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestMoveTagsRollback(t *testing.T) {
	f := pubTestNewFixture(t, "t0", "t1", "t2").serial()
	f.reg.Transport = pubTestFailTag("t2", false)
	e := pubTestMoveError(t, f, "t0", "t1", "t2", "n0")
	if e.Tag != f.repo+":t2" {
		t.Errorf("Tag = %q, want %s:t2", e.Tag, f.repo)
	}
	if !errors.Is(e, errPubTestInjected) {
		t.Errorf("the error %v does not wrap the transport's", e)
	}
	pubTestSame(t, "Restored", e.Restored, pubTestRefs(f.repo, "t1", "t0"))
	pubTestSame(t, "Deleted", e.Deleted, nil)
	pubTestSame(t, "Unrestored", pubTestLeft(e), nil)
	if !strings.Contains(e.Error(), "every tag points where it pointed before") {
		t.Errorf("Error() = %q", e.Error())
	}
	if strings.Contains(e.Error(), "NOT PUT BACK") {
		t.Errorf("Error() = %q", e.Error())
	}
	pubTestWant(t, f.repo, f.old, "t0", "t1", "t2")
	pubTestWant(t, f.repo, "", "n0")
}

func TestMoveTagsRollbackNewTagFails(t *testing.T) {
	f := pubTestNewFixture(t, "t0", "t1", "t2").serial()
	f.reg.Transport = pubTestFailTag("n0", false)
	e := pubTestMoveError(t, f, "t0", "t1", "t2", "n0")
	if e.Tag != f.repo+":n0" {
		t.Errorf("Tag = %q, want %s:n0", e.Tag, f.repo)
	}
	pubTestSame(t, "Restored", e.Restored, pubTestRefs(f.repo, "t2", "t1", "t0"))
	pubTestSame(t, "Deleted", e.Deleted, nil)
	pubTestSame(t, "Unrestored", pubTestLeft(e), nil)
	pubTestWant(t, f.repo, f.old, "t0", "t1", "t2")
	pubTestWant(t, f.repo, "", "n0")
}

func TestMoveTagsRollbackFails(t *testing.T) {
	f := pubTestNewFixture(t, "t0", "t1", "t2").serial()
	f.reg.Transport = pubTestFailTag("t2", true)
	e := pubTestMoveError(t, f, "t0", "t1", "t2", "n0")
	if e.Tag != f.repo+":t2" {
		t.Errorf("Tag = %q, want %s:t2", e.Tag, f.repo)
	}
	if len(e.Unrestored) == 0 {
		t.Fatalf("Unrestored is empty; Restored %q", e.Restored)
	}
	pubTestSame(t, "Restored", e.Restored, nil)
	// t1 and t0 were moved and could not be put back; t2's move never
	// reached the registry, so it is where it was.
	pubTestSame(t, "Unrestored", pubTestLeft(e), pubTestRefs(f.repo, "t1", "t0"))
	for _, l := range e.Unrestored {
		if l.Was != f.old || l.Index != f.new || !strings.Contains(l.Err, errPubTestInjected.Error()) {
			t.Errorf("Unrestored %+v: want was %s, index %s and the transport's error", l, f.old, f.new)
		}
	}
	if e.RolledBack() || e.Total != 4 {
		t.Errorf("RolledBack() = %v, Total = %d; want false, 4", e.RolledBack(), e.Total)
	}
	msg := e.Error()
	if want := "2 of 4 tags NOT PUT BACK, so they may still point at the new index: " + f.repo + ":t1, " + f.repo + ":t0"; !strings.Contains(msg, want) {
		t.Errorf("Error() = %q, want %q in it", msg, want)
	}
	if strings.Contains(msg, "every tag points where it pointed before") {
		t.Errorf("Error() = %q claims every tag is back", msg)
	}
	// Where each pointed is in the details, one line a tag.
	d := e.Details()
	if len(d) != 2 || !strings.Contains(d[0], f.repo+":t1 (was "+string(f.old)+")") {
		t.Errorf("Details() = %q", d)
	}
	pubTestWant(t, f.repo, f.new, "t0", "t1")
	pubTestWant(t, f.repo, f.old, "t2")
	pubTestWant(t, f.repo, "", "n0")
}

// pubTestLandThenFail lets the PUT of tag reach the registry the first
// time, then reports a failure as if the response was lost.
func pubTestLandThenFail(tag string) *pubTestPutRecorder {
	var once sync.Once
	return &pubTestPutRecorder{hook: func(_ int, tg string, req *http.Request) (bool, *http.Response, error) {
		if tg != tag {
			return false, nil, nil
		}
		first := false
		once.Do(func() { first = true })
		if !first {
			return false, nil, nil
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return true, nil, errPubTestInjected
	}}
}

func TestMoveTagsRollbackFailedMoveLanded(t *testing.T) {
	f := pubTestNewFixture(t, "t0", "t1", "t2").serial()
	f.reg.Transport = pubTestLandThenFail("t2")
	e := pubTestMoveError(t, f, "t0", "t1", "t2", "n0")
	if e.Tag != f.repo+":t2" {
		t.Errorf("Tag = %q, want %s:t2", e.Tag, f.repo)
	}
	pubTestSame(t, "Restored", e.Restored, pubTestRefs(f.repo, "t1", "t0", "t2"))
	pubTestSame(t, "Deleted", e.Deleted, nil)
	pubTestSame(t, "Unrestored", pubTestLeft(e), nil)
	pubTestWant(t, f.repo, f.old, "t0", "t1", "t2")
	pubTestWant(t, f.repo, "", "n0")
}

func TestMoveTagsRollbackNewTagLanded(t *testing.T) {
	f := pubTestNewFixture(t, "t0", "t1").serial()
	f.reg.Transport = pubTestLandThenFail("n0")
	e := pubTestMoveError(t, f, "t0", "t1", "n0")
	if e.Tag != f.repo+":n0" {
		t.Errorf("Tag = %q, want %s:n0", e.Tag, f.repo)
	}
	pubTestSame(t, "Restored", e.Restored, pubTestRefs(f.repo, "t1", "t0"))
	pubTestSame(t, "Deleted", e.Deleted, pubTestRefs(f.repo, "n0"))
	pubTestSame(t, "Unrestored", pubTestLeft(e), nil)
	pubTestWant(t, f.repo, f.old, "t0", "t1")
	pubTestWant(t, f.repo, "", "n0")
}

func TestMoveTagsRollbackDeletesNewTag(t *testing.T) {
	// n0 is created, then t0's move fails: n0 is deleted again.
	f := pubTestNewFixture(t, "t0").serial()
	f.reg.Transport = pubTestFailTag("t0", false)
	e := pubTestMoveError(t, f, "n0", "t0")
	pubTestSame(t, "Deleted", e.Deleted, pubTestRefs(f.repo, "n0"))
	pubTestSame(t, "Restored", e.Restored, nil)
	pubTestSame(t, "Unrestored", pubTestLeft(e), nil)
	pubTestWant(t, f.repo, f.old, "t0")
	pubTestWant(t, f.repo, "", "n0")
}

func TestMoveTagsCancelled(t *testing.T) {
	f := pubTestNewFixture(t, "t0", "t1").serial()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	f.reg.Transport = &pubTestPutRecorder{hook: func(n int, _ string, _ *http.Request) (bool, *http.Response, error) {
		cancelled := false
		if n == 2 {
			once.Do(func() { cancelled = true })
		}
		if !cancelled {
			return false, nil, nil
		}
		cancel()
		return true, nil, ctx.Err()
	}}
	moved, err := f.reg.MoveTags(ctx, f.job("t0", "t1", "n0"))
	if err == nil {
		t.Fatalf("MoveTags succeeded though cancelled, moving %q", moved)
	}
	var tme *publish.TagMoveError
	if !errors.As(err, &tme) {
		t.Fatalf("MoveTags error %T %v is not a *TagMoveError", err, err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("the error %v is not context.Canceled", err)
	}
	if tme.Tag != f.repo+":t1" {
		t.Errorf("Tag = %q, want %s:t1", tme.Tag, f.repo)
	}
	pubTestSame(t, "Unrestored", pubTestLeft(tme), nil)
	if !slices.Contains(tme.Restored, f.repo+":t0") {
		t.Errorf("Restored = %q, want t0 among them", tme.Restored)
	}
	pubTestWant(t, f.repo, f.old, "t0", "t1")
	pubTestWant(t, f.repo, "", "n0")
}

func TestMoveTagsCancelledBetweenMoves(t *testing.T) {
	// The 2nd move succeeds, then ctx ends: the 3rd is not attempted and
	// the two moved are put back.
	f := pubTestNewFixture(t, "t0", "t1", "t2").serial()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	rec := &pubTestPutRecorder{}
	rec.hook = func(n int, _ string, req *http.Request) (bool, *http.Response, error) {
		if n != 2 {
			return false, nil, nil
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		once.Do(cancel)
		return true, resp, err
	}
	f.reg.Transport = rec
	moved, err := f.reg.MoveTags(ctx, f.job("t0", "t1", "t2", "n0"))
	if err == nil {
		t.Fatalf("MoveTags succeeded though cancelled, moving %q", moved)
	}
	var tme *publish.TagMoveError
	if !errors.As(err, &tme) {
		t.Fatalf("MoveTags error %T %v is not a *TagMoveError", err, err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("the error %v is not context.Canceled", err)
	}
	if tme.Tag != f.repo+":t2" {
		t.Errorf("Tag = %q, want %s:t2", tme.Tag, f.repo)
	}
	pubTestSame(t, "Unrestored", pubTestLeft(tme), nil)
	for _, tg := range []string{"t1", "t0"} {
		if !slices.Contains(tme.Restored, f.repo+":"+tg) {
			t.Errorf("Restored = %q, want %s among them", tme.Restored, tg)
		}
	}
	pubTestWant(t, f.repo, f.old, "t0", "t1", "t2")
	pubTestWant(t, f.repo, "", "n0")
	if puts := rec.tagPuts(); slices.Contains(puts, "n0") {
		t.Errorf("n0 was PUT after ctx ended: %q", puts)
	}
}

func TestTagMoveErrorMessage(t *testing.T) {
	cause := errors.New("boom")
	e := &publish.TagMoveError{Tag: "r:t", Err: cause, Restored: []string{"r:a"}, Deleted: []string{"r:b"}}
	msg := e.Error()
	for _, s := range []string{"moving r:t: boom", "every tag points where it pointed before", "put back: r:a", "deleted again: r:b"} {
		if !strings.Contains(msg, s) {
			t.Errorf("Error() = %q, want %q in it", msg, s)
		}
	}
	if !errors.Is(e, cause) {
		t.Error("TagMoveError does not unwrap to its cause")
	}
	e.Total = 3
	e.Unrestored = []publish.TagLeft{{Ref: "r:c", Was: "sha256:x", Err: "nope"}}
	msg = e.Error()
	if !strings.Contains(msg, "1 of 3 tags NOT PUT BACK, so they may still point at the new index: r:c;") || strings.Contains(msg, "every tag points") {
		t.Errorf("Error() = %q", msg)
	}
}
