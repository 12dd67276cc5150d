package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// stopSignals are the signals that stop a run: Ctrl-C (SIGINT); a CI
// system cancelling a job, docker stop or Kubernetes (SIGTERM); a
// terminal that went away (SIGHUP).
func stopSignals() []os.Signal {
	return []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}
}

// signalled is the cause a stop signal cancels a run's context with: it
// keeps which signal it was, for the exit code.
type signalled struct{ sig os.Signal }

func (s *signalled) Error() string { return s.sig.String() + " signal received" }

// withSignals returns parent cancelled by the first stop signal, with a
// *signalled cause. Later signals are taken and dropped until stop is
// called: a roll-back under way finishes (within its own time bound)
// instead of the process dying half way through it. A signal ignored
// when bricklayer started (nohup ignores SIGHUP) stays ignored: asking
// for it would undo that.
func withSignals(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	for _, sig := range stopSignals() {
		if !signal.Ignored(sig) {
			signal.Notify(ch, sig)
		}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-ch:
				cancel(&signalled{sig: sig}) // the first cause stays
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(context.Canceled)
	}
}

// signalOf is the stop signal that cancelled ctx, or nil.
func signalOf(ctx context.Context) os.Signal {
	var s *signalled
	if errors.As(context.Cause(ctx), &s) {
		return s.sig
	}
	return nil
}

// signalExit is the exit code for a run stopped by sig: 128 + its number,
// as a shell reports a process the signal killed (130 for SIGINT, 143 for
// SIGTERM, 129 for SIGHUP); a run stopped otherwise counts as SIGINT.
func signalExit(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return ExitInterrupted
}

// signalWords says how a run stopped by sig ended, for its error line.
func signalWords(sig os.Signal) string {
	switch sig {
	case nil, os.Interrupt:
		return "interrupted"
	case syscall.SIGTERM:
		return "terminated (SIGTERM)"
	case syscall.SIGHUP:
		return "hung up (SIGHUP)"
	}
	return "stopped by " + sig.String()
}
