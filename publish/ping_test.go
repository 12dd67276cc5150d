package publish_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/ref"
)

// pubTestTokenRegistry is a registry that wants a bearer token from its
// /token endpoint (anyone gets one), as Docker Hub and GHCR do, and
// counts the pings it answers.
type pubTestTokenRegistry struct {
	reg http.Handler
	mu  sync.Mutex
	// pings are the pings answered, tokens the tokens handed out.
	pings, tokens int
}

func (h *pubTestTokenRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	switch {
	case r.URL.Path == "/token":
		h.tokens++
	case r.URL.Path == "/v2/":
		h.pings++
	}
	h.mu.Unlock()
	if r.URL.Path == "/token" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"token": "let-me-in"}`)
		return
	}
	if r.Header.Get("Authorization") != "Bearer let-me-in" {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="test"`, r.Host))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h.reg.ServeHTTP(w, r)
}

func (h *pubTestTokenRegistry) counts() (pings, tokens int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pings, h.tokens
}

// A shared Registry pings a registry once however many repositories it
// reaches there, with its puller and its pusher; each repository still
// gets its own token (its scope is the repository), from the challenge
// of that one ping.
func TestSharedRegistryPingsOnce(t *testing.T) {
	h := &pubTestTokenRegistry{reg: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	base := publish.Registry{Insecure: []ref.Host{ref.Host(host)}, Keychain: authn.NewMultiKeychain()}
	ctx := context.Background()
	// run pushes an index to each of 4 repositories and tags it, and
	// counts what the registry answered the Registry.
	run := func(reg publish.Registry, n string) (pings, tokens int) {
		var repos []string
		var ms [][]publish.Manifest
		for i := range 4 {
			repo := fmt.Sprintf("%s/%s/app%d", host, n, i)
			repos = append(repos, repo)
			ms = append(ms, []publish.Manifest{{Platform: pubTestPlatform(t, "linux/amd64"), Digest: pubTestPushImage(t, repo, pubTestImage(t))}})
		}
		p0, t0 := h.counts()
		var jobs []publish.Tagging
		for i, repo := range repos {
			d, err := reg.PushIndex(ctx, repo, ms[i], nil)
			if err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, publish.Tagging{Image: "app", Repository: repo, Index: d, Tags: []string{"v1"}})
		}
		if moved, err := reg.MoveTags(ctx, jobs); err != nil || len(moved) != 4 {
			t.Fatalf("MoveTags: %v, %v", moved, err)
		}
		p, tk := h.counts()
		return p - p0, tk - t0
	}
	pings, tokens := run(base.Shared(), "shared")
	if pings != 1 {
		t.Errorf("a shared registry pinged %d times for 4 repositories, want once", pings)
	}
	// A puller and a pusher in each repository: a token each.
	if tokens != 8 {
		t.Errorf("a shared registry fetched %d tokens for 4 repositories, want 8", tokens)
	}
	// Not shared, every call pings: the count sees pings.
	if pings, _ := run(base, "unshared"); pings < 8 {
		t.Errorf("a registry that is not shared pinged %d times, want one per call at least", pings)
	}
}
