package solve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
)

// Loader takes Docker image tarballs (docker save's format) into a Docker
// daemon; engine.Client is the real one.
type Loader interface {
	Load(ctx context.Context, r io.Reader) ([]string, error)
}

// loadExport is BuildKit's docker exporter for req, its tarball streamed
// into the Loader while the daemon sends it.
func (n *Nodes) loadExport(ctx context.Context, req Request) (client.ExportEntry, *loading, error) {
	if n.cfg.Loader == nil {
		return client.ExportEntry{}, nil, errors.New("no Docker daemon to load images into")
	}
	attrs := map[string]string{}
	if len(req.LoadNames) > 0 {
		attrs["name"] = strings.Join(req.LoadNames, ",")
	}
	n.epochAttrs(attrs)
	l := &loading{ctx: ctx, loader: n.cfg.Loader, done: make(chan struct{})}
	return client.ExportEntry{Type: client.ExporterDocker, Attrs: attrs, Output: l.output}, l, nil
}

// loading is one image on its way from BuildKit to Docker.
type loading struct {
	ctx    context.Context
	loader Loader
	mu     sync.Mutex
	pw     *io.PipeWriter
	done   chan struct{}
	loaded []string
	err    error
}

// output is the exporter's FileOutputFunc: BuildKit's client writes the
// tarball into it and closes it.
func (l *loading) output(map[string]string) (io.WriteCloser, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pw != nil {
		return nil, errors.New("BuildKit sent a second image to load")
	}
	pr, pw := io.Pipe()
	l.pw = pw
	go func() {
		defer close(l.done)
		l.loaded, l.err = l.loader.Load(l.ctx, pr)
		// Docker stopped reading: the exporter's writes fail now.
		pr.CloseWithError(fmt.Errorf("docker load ended: %v", l.err))
	}()
	return pw, nil
}

// finish waits for Docker once the build has ended with buildErr, and
// tells what Docker loaded, or why it did not.
func (l *loading) finish(buildErr error) ([]string, error) {
	l.mu.Lock()
	pw := l.pw
	l.mu.Unlock()
	if pw == nil {
		return nil, errors.New("BuildKit sent no image to load into Docker")
	}
	if buildErr != nil {
		pw.CloseWithError(buildErr)
	}
	<-l.done
	if l.err != nil {
		return l.loaded, fmt.Errorf("loading into Docker: %w", l.err)
	}
	return l.loaded, nil
}
