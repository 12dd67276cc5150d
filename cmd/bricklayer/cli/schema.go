package cli

import (
	"context"
	"fmt"

	"github.com/bricklayer-build/bricklayer/schemas"
)

func (c *CLI) schemaCommand() *command {
	cmd := newCommand("schema", "", "print the CUE schema of bricklayer.cue", `
Schema prints the embedded CUE schema, for editors and for CUE's own tools:

  bricklayer schema > schema.cue
  cue vet -d '#Spec' schema.cue bricklayer.cue`)
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageErrorf("schema takes no arguments")
		}
		_, err := fmt.Fprint(c.stdout, schemas.Source)
		return err
	}
	return cmd
}
