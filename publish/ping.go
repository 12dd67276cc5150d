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
	seen map[string]ping // by scheme://host
}

// ping is a registry's answer to a ping.
type ping struct {
	status int
	header http.Header
}

func newPingCache(next http.RoundTripper) *pingCache {
	return &pingCache{next: next, seen: map[string]ping{}}
}

// RoundTrip answers a ping from the cache once one was answered. Pings
// sent before that all go to the registry: waiting for the first instead
// would queue every ping of an insecure registry behind the last failed
// attempt over https, which go-containerregistry makes first.
func (c *pingCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Path != "/v2/" || req.URL.RawQuery != "" {
		return c.next.RoundTrip(req)
	}
	key := req.URL.Scheme + "://" + req.URL.Host
	c.mu.Lock()
	p, ok := c.seen[key]
	c.mu.Unlock()
	if ok {
		return p.replay(req), nil
	}
	resp, err := c.next.RoundTrip(req)
	// Only an answer that says how to authenticate, 200 (no need) or 401
	// (a challenge), for the URL asked (not one redirected to) is kept;
	// after anything else (an error, a 5xx) the next ping asks again.
	if err == nil && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized) &&
		(resp.Request == nil || resp.Request.URL.String() == req.URL.String()) {
		c.mu.Lock()
		c.seen[key] = ping{status: resp.StatusCode, header: resp.Header.Clone()}
		c.mu.Unlock()
	}
	return resp, err
}

// replay is the recorded answer, to req, without a body (a ping's body is
// not read).
func (p ping) replay(req *http.Request) *http.Response {
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
