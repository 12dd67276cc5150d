package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/bricklayer-build/bricklayer/ciflow"
	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/spec"
)

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string      { return e.msg }
func (e *usageError) Kind() errkind.Kind { return errkind.Usage }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// checkFailed is a check that found work to do (fmt --check, migrate
// --check): exit 1 with its message, not a failure of bricklayer.
type checkFailed struct{ msg string }

func (e *checkFailed) Error() string      { return e.msg }
func (e *checkFailed) Kind() errkind.Kind { return errkind.Check }

// buildFailed is a build or push that failed: exit 3.
type buildFailed struct{ err error }

func (e *buildFailed) Error() string      { return e.err.Error() }
func (e *buildFailed) Kind() errkind.Kind { return errkind.Build }
func (e *buildFailed) Unwrap() error      { return e.err }

// noDaemon is a daemon that could not be started or reached: exit 4.
type noDaemon struct{ err error }

func (e *noDaemon) Error() string      { return e.err.Error() }
func (e *noDaemon) Kind() errkind.Kind { return errkind.NoDaemon }
func (e *noDaemon) Unwrap() error      { return e.err }

// interrupted is a run stopped by a signal (sig; nil counts as Ctrl-C):
// exit 128 + its number. err is how the run ended; when tags were being
// moved, it says what was put back.
type interrupted struct {
	err error
	sig os.Signal
}

func (e *interrupted) Error() string {
	how := signalWords(e.sig)
	var tm *publish.TagMoveError
	var race *publish.TagRaceError
	switch {
	case errors.As(e.err, &tm):
		return how + " while moving tags: " + tm.Error()
	case errors.As(e.err, &race):
		// Every tag was moved before the signal counted.
		return how + "; " + race.Error()
	}
	return how + "; no tag was moved"
}

func (e *interrupted) Unwrap() error      { return e.err }
func (e *interrupted) Kind() errkind.Kind { return errkind.Interrupted }

// runError says how a failed run ended: stopped by a signal (ctx ended),
// or as classify sorts it.
func runError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &interrupted{err: err, sig: signalOf(ctx)}
	}
	return classify(err)
}

// tagsLeft is a failed tag move that could not put every tag back: exit
// 5. hint says what to do about it.
type tagsLeft struct {
	err  error
	hint string
}

func (e *tagsLeft) Error() string      { return e.err.Error() + "; " + e.hint }
func (e *tagsLeft) Unwrap() error      { return e.err }
func (e *tagsLeft) Kind() errkind.Kind { return errkind.TagsLeft }

// exitCode prints err, the one place errors are printed, and returns the
// process exit code for it. docs/commands.md's table lists the codes.
func (c *CLI) exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var cs *ciflow.Failed
	if errors.As(err, &cs) {
		// bricklayer ci reported it to the CI already.
		return cs.Code
	}
	code := ExitFailure
	switch errkind.Of(err) {
	case errkind.TagsLeft:
		// Before a signal's code: the registry needs seeing to.
		code = ExitTagsLeft
	case errkind.Interrupted:
		var ie *interrupted
		errors.As(err, &ie)
		code = signalExit(ie.sig)
	case errkind.Usage:
		code = ExitUsage
	case errkind.Check:
		var cf *checkFailed
		if errors.As(err, &cf) {
			fmt.Fprintln(c.stderr, cf.msg)
			return ExitFailure
		}
	case errkind.NoDaemon:
		code = ExitNoDaemon
	case errkind.Build:
		code = ExitBuild
	default:
		var ce cueerrors.Error
		if errors.As(err, &ce) {
			// Spec errors: one FILE:LINE:COL: PATH: message line each.
			for _, d := range spec.Diagnostics(err) {
				fmt.Fprintln(c.stderr, d)
			}
			return ExitFailure
		}
	}
	fmt.Fprintf(c.stderr, "bricklayer: %v\n", err)
	return code
}
