package cli

import (
	"errors"
	"fmt"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/bricklayer-build/bricklayer/spec"
)

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError ends the command with a code and an optional message, for
// outcomes that are not failures of bricklayer (fmt --check found work).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// exitCode prints err, the one place errors are printed, and returns the
// process exit code for it.
func (c *CLI) exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(c.stderr, "bricklayer: %s\n", ue.msg)
		return ExitUsage
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(c.stderr, ee.msg)
		}
		return ee.code
	}
	var ce cueerrors.Error
	if errors.As(err, &ce) {
		// Spec errors: one FILE:LINE:COL: PATH: message line each.
		for _, d := range spec.Diagnostics(err) {
			fmt.Fprintln(c.stderr, d)
		}
		return ExitFailure
	}
	fmt.Fprintf(c.stderr, "bricklayer: %v\n", err)
	return ExitFailure
}
