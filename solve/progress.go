package solve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/util/progress/progressui"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/platform"
)

// tailLines is how much of a failed step's output the error repeats.
const tailLines = 10

// progress merges the status of every session into one display and keeps
// the last lines each step printed, for the error of a failed step.
type progress struct {
	ch   chan *client.SolveStatus
	done chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	tails map[digest.Digest][]string
}

func newProgress(ctx context.Context, w io.Writer, mode string) (*progress, error) {
	if w == nil {
		w = io.Discard
	}
	if mode == "" {
		mode = string(progressui.AutoMode)
	}
	d, err := progressui.NewDisplay(w, progressui.DisplayMode(mode))
	if err != nil {
		return nil, fmt.Errorf("progress %q: %w", mode, err)
	}
	p := &progress{ch: make(chan *client.SolveStatus), done: make(chan struct{}), tails: map[digest.Digest][]string{}}
	go func() {
		// The display drains until close, even after ctx ends, so the
		// sessions never block on it.
		d.UpdateFrom(context.WithoutCancel(ctx), p.ch)
		close(p.done)
	}()
	return p, nil
}

// channel is the status channel of one session, which the session
// closes; wait returns once all of its status has been recorded.
func (p *progress) channel() (ch chan *client.SolveStatus, wait func()) {
	ch = make(chan *client.SolveStatus)
	done := make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(done)
		for st := range ch {
			p.record(st)
			p.ch <- st
		}
	}()
	return ch, func() { <-done }
}

func (p *progress) record(st *client.SolveStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range st.Logs {
		lines := strings.Split(strings.TrimRight(string(l.Data), "\n"), "\n")
		t := append(p.tails[l.Vertex], lines...)
		if len(t) > tailLines {
			t = t[len(t)-tailLines:]
		}
		p.tails[l.Vertex] = t
	}
}

func (p *progress) close() {
	p.wg.Wait()
	close(p.ch)
	<-p.done
}

// StepError is a solve that failed, in a step of the spec when the
// daemon's error says which.
type StepError struct {
	// Location is FILE:LINE:COL: PATH of the step, when known.
	Location string
	Image    string
	// Platforms are the platforms of the failed session, or the one
	// whose step failed.
	Platforms []platform.Platform
	// Node is the builder's node, when there are several.
	Node string
	Err  error
	// Tail is the last lines the step printed.
	Tail []string
}

func (e *StepError) Error() string {
	var b strings.Builder
	if e.Location != "" {
		b.WriteString(e.Location + ": ")
	}
	if len(e.Platforms) == 1 {
		fmt.Fprintf(&b, "image %s, platform %s", e.Image, e.Platforms[0])
	} else {
		fmt.Fprintf(&b, "image %s, platforms %s", e.Image, platform.Join(e.Platforms))
	}
	if e.Node != "" {
		fmt.Fprintf(&b, " (node %s)", e.Node)
	}
	fmt.Fprintf(&b, ": %v", rootMessage(e.Err))
	if len(e.Tail) > 0 {
		b.WriteString("\n  last output of the step:")
		for _, l := range e.Tail {
			b.WriteString("\n    " + l)
		}
	}
	return b.String()
}

func (e *StepError) Unwrap() error { return e.Err }

// rootMessage drops the wrapping BuildKit adds around a step's failure.
func rootMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "failed to solve: ")
}

// explain turns the failure of one solve into a StepError that points at
// the step of the spec (from the source map of the failed op) and repeats
// its output's tail.
func (p *progress) explain(file string, stepAt func(line, col int) string, err error, image string, plats []platform.Platform, node string) error {
	se := &StepError{Err: err, Image: image, Platforms: plats, Node: node}
	for _, src := range errdefs.Sources(err) {
		if src.Info == nil || file == "" || src.Info.Filename != filepath.Base(file) || len(src.Ranges) == 0 {
			continue
		}
		r := src.Ranges[0]
		se.Location = fmt.Sprintf("%s:%d:%d", file, r.Start.Line, r.Start.Character)
		if stepAt == nil {
			break
		}
		if path := stepAt(int(r.Start.Line), int(r.Start.Character)); path != "" {
			se.Location += ": " + path
		}
		break
	}
	var ve *errdefs.VertexError
	if errors.As(err, &ve) {
		p.mu.Lock()
		se.Tail = p.tails[digest.Digest(ve.Digest)]
		p.mu.Unlock()
	}
	return se
}
