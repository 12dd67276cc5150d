package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/schemas"
)

func (c *CLI) schemaCommand() *command {
	cmd := newCommand("schema", "", "print the CUE schema of bricklayer.cue", `
Schema prints the embedded CUE schema as a file of package bricklayer
whose top level is a #Spec, for editors and CUE's own tools. With
"package bricklayer" at the top of bricklayer.cue:

  bricklayer schema > schema.cue
  cue vet schema.cue bricklayer.cue

The file also declares build, the build context bricklayer fills in, as
an empty one (no branch, no tag, no commit) whose fields are defaults, so
a spec that refers to build (tags: [build.branchTag]) passes cue vet too;
a file of the package that sets build's fields replaces the defaults.

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
// package bricklayer (the user's spec among them) must be a #Spec, and
// build, which bricklayer puts in the spec's scope, is declared.
func schemaPackage() string {
	return "// The schema of bricklayer.cue, printed by bricklayer schema.\n\npackage bricklayer\n\n#Spec\n\n" +
		buildDefaults() + "\n" + schemas.Source
}

// buildDefaults declares build as bricklayer's empty build context: each
// field's zero value as a default, so CUE's tools see a concrete build
// that a file or data unified with the package may still set.
func buildDefaults() string {
	var b strings.Builder
	b.WriteString("// The build context bricklayer fills in from git and CI variables; for\n// CUE's own tools, an empty one whose values are defaults.\nbuild: #Build & {\n")
	dt, _ := json.Marshal(buildinfo.Info{})
	var zero map[string]json.RawMessage
	_ = json.Unmarshal(dt, &zero)
	keys := sortedJSONKeys(dt)
	width := 0
	for _, k := range keys {
		width = max(width, len(k))
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "\t%-*s *%s | _\n", width+1, k+":", zero[k])
	}
	b.WriteString("}\n")
	return b.String()
}

// sortedJSONKeys are the keys of the JSON object dt in its order.
func sortedJSONKeys(dt []byte) []string {
	dec := json.NewDecoder(strings.NewReader(string(dt)))
	var keys []string
	if _, err := dec.Token(); err != nil {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}
