package cli

import (
	"errors"
	"fmt"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/engine"
	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/spec"
)

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// checkFailed is a check that found work to do (fmt --check, migrate
// --check): exit 1 with its message, not a failure of bricklayer.
type checkFailed struct{ msg string }

func (e *checkFailed) Error() string { return e.msg }

// buildFailed is a build or push that failed: exit 3.
type buildFailed struct{ err error }

func (e *buildFailed) Error() string { return e.err.Error() }
func (e *buildFailed) Unwrap() error { return e.err }

// noDaemon is a daemon that could not be started or reached: exit 4.
type noDaemon struct{ err error }

func (e *noDaemon) Error() string { return e.err.Error() }
func (e *noDaemon) Unwrap() error { return e.err }

// interrupted is a build stopped by Ctrl-C: exit 130. err is how the
// build ended; when tags were being moved, it says what was put back.
type interrupted struct{ err error }

func (e *interrupted) Error() string {
	var tm *publish.TagMoveError
	if errors.As(e.err, &tm) {
		return "interrupted while moving tags: " + tm.Error()
	}
	return "interrupted; no tag was moved"
}

func (e *interrupted) Unwrap() error { return e.err }

// exitCode prints err, the one place errors are printed, and returns the
// process exit code for it. README.md's table lists the codes.
func (c *CLI) exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	code := ExitFailure
	var (
		ue *usageError
		cf *checkFailed
		bf *buildFailed
		ie *interrupted
		un *builders.UnreachableError
		na *engine.NotAnsweringError
		nd *noDaemon
		ui *pipeline.UnknownImageError
		se *spec.OverrideError
		ce cueerrors.Error
	)
	switch {
	case errors.As(err, &ie):
		code = ExitInterrupted
	case errors.As(err, &ue), errors.As(err, &ui), errors.As(err, &se), builders.IsAddrError(err):
		code = ExitUsage
	case errors.As(err, &cf):
		fmt.Fprintln(c.stderr, cf.msg)
		return ExitFailure
	case errors.As(err, &un), errors.As(err, &nd), errors.As(err, &na):
		code = ExitNoDaemon
	case errors.As(err, &bf):
		code = ExitBuild
	case errors.As(err, &ce):
		// Spec errors: one FILE:LINE:COL: PATH: message line each.
		for _, d := range spec.Diagnostics(err) {
			fmt.Fprintln(c.stderr, d)
		}
		return ExitFailure
	}
	fmt.Fprintf(c.stderr, "bricklayer: %v\n", err)
	return code
}
