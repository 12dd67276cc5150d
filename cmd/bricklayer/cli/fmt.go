package cli

import (
	"bytes"
	"context"
	"fmt"

	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/spec"
)

func (c *CLI) fmtCommand() *command {
	cmd := newCommand("fmt", "[FILE|DIR...]", "format a spec with CUE's formatter", `
Fmt rewrites the spec (FILE, or bricklayer.cue in DIR) in CUE's standard
format. With --check it changes nothing and exits 1 when the file is not
formatted, for pre-commit hooks.`)
	check := cmd.flags.Bool("check", false, "exit 1 if the file is not formatted; write nothing")
	cmd.run = func(ctx context.Context, args []string) error {
		arg, err := oneArg("fmt", args)
		if err != nil {
			return err
		}
		file, err := spec.Find(arg)
		if err != nil {
			return err
		}
		src, err := spec.ReadFile(file)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(file, src, parser.ParseComments)
		if err != nil {
			return err // a CUE error: printed with its position
		}
		out, err := format.Node(f)
		if err != nil {
			return fmt.Errorf("formatting %s: %w", file, err)
		}
		if bytes.Equal(src, out) {
			return nil
		}
		if *check {
			return &checkFailed{msg: file + ": not formatted (bricklayer fmt fixes it)"}
		}
		// Whole or not at all, keeping the file's mode (and a symlink).
		return safefile.Write(file, out, 0o644)
	}
	// One spec at a time: pre-commit passes every spec file it matched.
	cmd.run = c.perArg(cmd.run)
	return cmd
}
