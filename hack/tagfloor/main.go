// Command tagfloor puts one manifest under N tags of a plain-HTTP
// registry, LIMIT requests in flight, and nothing else: no read before, no
// read back, no roll-back. It is the least any client sends to move N
// references, which hack/bench-tags.sh runs beside bricklayer to show the
// registry's own share of a release with many tags.
//
//	tagfloor [-n N] [-limit LIMIT] HOST:PORT/REPO:TAG
//
// It reads the manifest TAG names once, then puts it under the tags
// floor0 ... floor(N-1) of REPO.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// accept is what tagfloor reads and puts: an index, as bricklayer pushes.
const accept = "application/vnd.oci.image.index.v1+json"

func main() {
	n := flag.Int("n", 800, "how many tags to put")
	limit := flag.Int("limit", 16, "requests in flight at once")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: tagfloor [-n N] [-limit LIMIT] HOST:PORT/REPO:TAG")
		os.Exit(2)
	}
	if err := run(context.Background(), flag.Arg(0), *n, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "tagfloor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, ref string, n, limit int) error {
	hostRepo, tag, ok := cutLast(ref, ":")
	host, repo, ok2 := strings.Cut(hostRepo, "/")
	if !ok || !ok2 || strings.Contains(tag, "/") {
		return fmt.Errorf("%s: want HOST:PORT/REPO:TAG", ref)
	}
	base := "http://" + host + "/v2/" + repo + "/manifests/"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: limit}, Timeout: time.Minute}
	body, mediaType, err := get(ctx, client, base+tag)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i := range n {
		g.Go(func() error { return put(gctx, client, fmt.Sprintf("%sfloor%d", base, i), mediaType, body) })
	}
	return g.Wait()
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func get(ctx context.Context, c *http.Client, url string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", accept)
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	// A manifest is at most 4 MiB (the distribution spec's limit).
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return body, resp.Header.Get("Content-Type"), err
}

func put(ctx context.Context, c *http.Client, url, mediaType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mediaType)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return errors.New("PUT " + url + ": " + resp.Status)
	}
	return nil
}
