package cli

import (
	"context"
	"fmt"

	"github.com/bricklayer-build/bricklayer/schemas"
)

func (c *CLI) schemaCommand() *command {
	cmd := newCommand("schema", "", "print the CUE schema of bricklayer.cue", `
Schema prints the embedded CUE schema as a file of package bricklayer
whose top level is a #Spec, for editors and CUE's own tools. With
"package bricklayer" at the top of bricklayer.cue:

  bricklayer schema > schema.cue
  cue vet schema.cue bricklayer.cue

cue vet checks what the schema says; bricklayer vet checks more.`)
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageErrorf("schema takes no arguments")
		}
		_, err := fmt.Fprint(c.stdout, schemaPackage())
		return err
	}
	return cmd
}

// schemaPackage is the embedded schema as a package file: every file of
// package bricklayer (the user's spec among them) must be a #Spec.
func schemaPackage() string {
	return "// The schema of bricklayer.cue, printed by bricklayer schema.\n\npackage bricklayer\n\n#Spec\n\n" + schemas.Source
}
