package builders

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
)

// DefaultAddr is where a BuildKit daemon listens by default.
const DefaultAddr = "unix:///run/buildkit/buildkitd.sock"

// Addr picks the daemon address: the flag, else BUILDKIT_HOST, else the
// default socket.
func Addr(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv("BUILDKIT_HOST"); env != "" {
		return env
	}
	return DefaultAddr
}

// UnreachableError says no daemon answered at Addr.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	var tf *TLSFileError
	if errors.As(e.Err, &tf) {
		return fmt.Sprintf("cannot reach BuildKit at %s: %v", e.Addr, e.Err)
	}
	if msg := e.Err.Error(); strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:") {
		// The daemon answered; it is the one not to trust, or it does
		// not trust us.
		return fmt.Sprintf("TLS handshake with BuildKit at %s failed: %v (check the node's tls: ca, cert, key and serverName)", e.Addr, e.Err)
	}
	return fmt.Sprintf("cannot reach BuildKit at %s: %v (start one with: bricklayer builder bootstrap; or set --addr / BUILDKIT_HOST)", e.Addr, e.Err)
}

// Kind makes an unreachable node a daemon that did not answer.
func (e *UnreachableError) Kind() errkind.Kind { return errkind.NoDaemon }

func (e *UnreachableError) Unwrap() error { return e.Err }

// connect returns a client of the daemon at addr after checking that it
// answers, so a missing daemon is one clear error rather than a hang.
func connect(ctx context.Context, addr string, opts ...client.ClientOpt) (*client.Client, []*client.WorkerInfo, error) {
	if err := CheckAddr(addr); err != nil {
		return nil, nil, err
	}
	c, err := client.New(ctx, addr, opts...)
	if err != nil {
		return nil, nil, &UnreachableError{Addr: addr, Err: err}
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	workers, err := c.ListWorkers(pctx)
	if err != nil {
		c.Close()
		return nil, nil, &UnreachableError{Addr: addr, Err: err}
	}
	if len(workers) == 0 {
		c.Close()
		return nil, nil, &UnreachableError{Addr: addr, Err: fmt.Errorf("the daemon has no workers")}
	}
	return c, workers, nil
}

// BuildKitVersion is the BuildKit release bricklayer is built against; a
// daemon of the same version is the one known to work.
const BuildKitVersion = "v0.34.2"
