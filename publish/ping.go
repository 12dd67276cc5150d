package publish

import (
	"fmt"
	"net/http"
	"sync"
)

// pingCache is the transport of a Shared registry's connections: it
// answers a registry's ping (GET /v2/, which tells whether and how to
// authenticate) with the registry's first answer of the run.
// go-containerregistry pings once for each repository, for its puller and
// again for its pusher, though the answer is the registry's, the same for
// all its repositories: a build of 20 images pinged 40 times, each a
// round trip before the first read or write of a repository.
type pingCache struct {
	next http.RoundTripper

	mu   sync.Mutex
	seen map[string]*ping // by scheme://host
}

// ping is one registry's answer, once the first ping has it.
type ping struct {
	done   chan struct{}
	ok     bool // an answer worth repeating
	status int
	header http.Header
}

func newPingCache(next http.RoundTripper) *pingCache {
	return &pingCache{next: next, seen: map[string]*ping{}}
}

func (c *pingCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Path != "/v2/" || req.URL.RawQuery != "" {
		return c.next.RoundTrip(req)
	}
	key := req.URL.Scheme + "://" + req.URL.Host
	c.mu.Lock()
	p, asked := c.seen[key]
	if !asked {
		p = &ping{done: make(chan struct{})}
		c.seen[key] = p
	}
	c.mu.Unlock()
	if asked {
		select {
		case <-p.done:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
		if p.ok {
			return p.replay(req), nil
		}
		// The first ping got no answer to repeat: ask for ourselves.
		return c.next.RoundTrip(req)
	}
	resp, err := c.next.RoundTrip(req)
	c.record(key, p, req, resp, err)
	return resp, err
}

// record keeps resp as the registry's answer when it is one: 200 (no
// authentication) or 401 (a challenge), for the URL asked (not one
// redirected to). Anything else (an error, a 5xx) is not, and the next
// ping asks again.
func (c *pingCache) record(key string, p *ping, req *http.Request, resp *http.Response, err error) {
	if err == nil && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized) &&
		(resp.Request == nil || resp.Request.URL.String() == req.URL.String()) {
		p.ok, p.status, p.header = true, resp.StatusCode, resp.Header.Clone()
	} else {
		c.mu.Lock()
		delete(c.seen, key)
		c.mu.Unlock()
	}
	close(p.done)
}

// replay is the recorded answer, to req, without a body (a ping's body is
// not read).
func (p *ping) replay(req *http.Request) *http.Response {
	return &http.Response{
		Status:     fmt.Sprintf("%d %s", p.status, http.StatusText(p.status)),
		StatusCode: p.status,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     p.header.Clone(),
		Body:       http.NoBody,
		Request:    req,
	}
}
