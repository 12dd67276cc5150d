package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDepsStartup keeps out of the binary the packages whose init every
// command would pay for though few need them: compose-go's JSON schema
// validator alone cost ~11 ms of start-up, linked through its loader
// (compose/canon.go reads compose files without it).
func TestDepsStartup(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps["github.com/bricklayer-build/bricklayer/compose"] {
		t.Fatalf("go list -deps does not list the compose package: is this the right package?\n%s", out)
	}
	for _, p := range []string{
		"github.com/santhosh-tekuri/jsonschema/v6",
		"github.com/compose-spec/compose-go/v2/schema",
		"github.com/compose-spec/compose-go/v2/loader",
	} {
		if deps[p] {
			t.Errorf("bricklayer links %s, whose init slows every command down; see compose/canon.go", p)
		}
	}
}
