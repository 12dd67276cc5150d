package publish_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/bricklayer-build/bricklayer/publish"
)

// pubTestCounter counts the requests a Registry sends, by method and
// kind of path ("ping", "manifest", "blob").
type pubTestCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *pubTestCounter) transport() http.RoundTripper {
	return pubTestRT(func(r *http.Request) (*http.Response, error) {
		kind := "other"
		switch p := r.URL.Path; {
		case p == "/v2/":
			kind = "ping"
		case strings.Contains(p, "/manifests/"):
			kind = "manifest"
		case strings.Contains(p, "/blobs/"):
			kind = "blob"
		}
		c.mu.Lock()
		c.n[r.Method+" "+kind]++
		c.mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})
}

// pubTestCounted is base with its requests counted, Shared or not.
func pubTestCounted(base publish.Registry, shared bool) (publish.Registry, *pubTestCounter) {
	c := &pubTestCounter{n: map[string]int{}}
	base.Transport = c.transport()
	if shared {
		base = base.Shared()
	}
	return base, c
}

func (c *pubTestCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

// A shared Registry pings a registry when it first reaches it, not again
// however many indexes and tags it pushes, and pushes an index without
// asking again for each entry it has just read.
func TestSharedRegistryConnectsOnce(t *testing.T) {
	repo, base := pubTestRegistry(t)
	var ms []publish.Manifest
	for _, p := range []string{"linux/amd64", "linux/arm64", "linux/arm/v7"} {
		ms = append(ms, publish.Manifest{Platform: pubTestPlatform(t, p), Digest: pubTestPushImage(t, repo, pubTestImage(t))})
	}
	ctx := context.Background()
	// run pushes 4 indexes and moves a tag to each, and counts the pings
	// after the first push.
	run := func(shared bool) int {
		reg, c := pubTestCounted(base, shared)
		var indexes []publish.Tagging
		later := 0
		for i := range 4 {
			d, err := reg.PushIndex(ctx, repo, ms[:1+i%3], map[string]string{"n": string(rune('a' + i))})
			if err != nil {
				t.Fatal(err)
			}
			n := c.take()
			if n["HEAD manifest"] != 0 {
				t.Errorf("PushIndex asked %d times whether a manifest is there", n["HEAD manifest"])
			}
			if n["PUT manifest"] != 1 {
				t.Errorf("PushIndex sent %d manifests, want the index alone", n["PUT manifest"])
			}
			if i > 0 {
				later += n["GET ping"]
			}
			indexes = append(indexes, publish.Tagging{Image: "app", Repository: repo, Index: d, Tags: []string{"t" + string(rune('a'+i))}})
		}
		for _, job := range indexes {
			if _, err := reg.MoveTags(ctx, []publish.Tagging{job}); err != nil {
				t.Fatal(err)
			}
		}
		return later + c.take()["GET ping"]
	}
	if n := run(true); n != 0 {
		t.Errorf("a shared registry pinged %d times after its first push, want none", n)
	}
	// The same work, connecting anew per request, pings again and again:
	// the count measures what it claims to.
	if n := run(false); n == 0 {
		t.Error("a registry that is not shared pinged no more after its first push")
	}
}

// A shared Registry moves tags to an index it has just pushed without
// reading the index back: the registry answered its PUT, and each tag's
// PUT sends the same bytes.
func TestSharedRegistryKnowsItsIndexes(t *testing.T) {
	repo, base := pubTestRegistry(t)
	ms := []publish.Manifest{{Platform: pubTestPlatform(t, "linux/amd64"), Digest: pubTestPushImage(t, repo, pubTestImage(t))}}
	ctx := context.Background()
	// gets pushes an index, moves a new tag to it and counts the
	// manifest reads of the move.
	gets := func(shared bool, tag string) int {
		reg, c := pubTestCounted(base, shared)
		d, err := reg.PushIndex(ctx, repo, ms, map[string]string{"tag": tag})
		if err != nil {
			t.Fatal(err)
		}
		c.take()
		moved, err := reg.MoveTags(ctx, []publish.Tagging{{Image: "app", Repository: repo, Index: d, Tags: []string{tag}}})
		if err != nil || len(moved) != 1 {
			t.Fatalf("MoveTags: %v, %v", moved, err)
		}
		return c.take()["GET manifest"]
	}
	if n := gets(true, "shared"); n != 0 {
		t.Errorf("a shared registry read %d manifests to move a new tag to the index it pushed, want none", n)
	}
	// Not shared, the move reads the index: the count sees that read.
	if n := gets(false, "unshared"); n != 1 {
		t.Errorf("a registry that is not shared read %d manifests, want the index once", n)
	}
}

// A shared Registry copies the manifests PushIndex has just read without
// reading them again, and makes a mirror's index of its copies without
// reading them back; it is the same index.
func TestSharedRegistryIndexesItsCopies(t *testing.T) {
	repo, base := pubTestRegistry(t)
	var ms []publish.Manifest
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		ms = append(ms, publish.Manifest{Platform: pubTestPlatform(t, p), Digest: pubTestPushImage(t, repo, pubTestImage(t))})
	}
	ctx := context.Background()
	// reads copies the manifests to a mirror and pushes both indexes; it
	// counts the manifest reads of the mirror's.
	reads := func(shared bool, mirror string) int {
		reg, c := pubTestCounted(base, shared)
		d, err := reg.PushIndex(ctx, repo, ms, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.take()
		if err := reg.Copy(ctx, repo, mirror, ms); err != nil {
			t.Fatal(err)
		}
		if n := c.take()["GET manifest"]; shared && n != 0 {
			t.Errorf("a shared registry read %d manifests to copy what PushIndex had just read, want none", n)
		}
		md, err := reg.PushIndex(ctx, mirror, ms, nil)
		if err != nil {
			t.Fatal(err)
		}
		if md != d {
			t.Errorf("the mirror's index is %s, the repository's %s", md, d)
		}
		return c.take()["GET manifest"]
	}
	if n := reads(true, repo+"-shared"); n != 0 {
		t.Errorf("a shared registry read %d manifests of the mirror it had just copied them to, want none", n)
	}
	if n := reads(false, repo+"-unshared"); n != len(ms) {
		t.Errorf("a registry that is not shared read %d manifests of the mirror, want %d", n, len(ms))
	}
}
