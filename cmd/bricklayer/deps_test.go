package main

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
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

// TestDepsNoHCL keeps HashiCorp's HCL and go-cty out of the binary: their
// package inits cost every command about 0.9 ms of start-up, and init
// reads docker-bake files with internal/workflowscan's own reader. HCL
// stays in go.mod as that reader's test oracle.
func TestDepsNoHCL(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/bricklayer-build/bricklayer/internal/workflowscan") {
		t.Fatalf("go list -deps does not list internal/workflowscan: is this the right package?\n%s", out)
	}
	for _, p := range deps {
		for _, mod := range []string{"github.com/hashicorp/hcl", "github.com/zclconf/go-cty"} {
			if p == mod || strings.HasPrefix(p, mod+"/") {
				t.Errorf("bricklayer links %s, whose init slows every command down; bake files are read by internal/workflowscan", p)
			}
		}
	}
}

// TestDepsNoCUE keeps CUE (96 packages) out of the packages after spec
// that need only platforms and the builder: what they take from the spec
// are leaf types (platform.Platform). A builder file is read by
// builders/builderfile, the one place outside spec that evaluates CUE.
func TestDepsNoCUE(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	const mod = "github.com/bricklayer-build/bricklayer/"
	pkgs := []string{mod + "platform", mod + "ref", mod + "builders", mod + "engine", mod + "publish", mod + "solve", mod + "lock"}
	args := append([]string{"list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}"}, pkgs...)
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(pkgs) {
		t.Fatalf("go list lists %d packages, want %d:\n%s", len(lines), len(pkgs), out)
	}
	for _, l := range lines {
		pkg, deps, _ := strings.Cut(l, " ")
		for _, d := range strings.Fields(deps) {
			if d == "cuelang.org/go" || strings.HasPrefix(d, "cuelang.org/go/") || d == mod+"spec" {
				t.Errorf("%s links %s: it should take leaf types, not the spec's loader", pkg, d)
				break
			}
		}
	}
}

// ownInitBudget bounds what bricklayer's own packages allocate in their
// inits, together. A compiled regexp is a few KiB; before they moved behind
// sync.OnceValue the packages took 126 KiB, and all that start-up work
// adds up against the budget of 1.1x cue's (hack/bench-startup.sh).
const ownInitBudget = 48 << 10

// TestInitAllocs keeps bricklayer's own package inits small: every command
// runs them, bricklayer version included. It runs this test binary, which
// links what bricklayer links, with GODEBUG=inittrace=1 and no tests.
func TestInitAllocs(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG="+strings.Trim(os.Getenv("GODEBUG")+",inittrace=1", ","))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.String())
	}
	own := map[string]int{}
	total, seen := 0, 0
	for _, line := range strings.Split(stderr.String(), "\n") {
		// init PKG @T ms, C ms clock, B bytes, A allocs
		f := strings.Fields(line)
		if len(f) != 11 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		seen++
		if !strings.HasPrefix(f[1], "github.com/bricklayer-build/bricklayer/") {
			continue
		}
		n, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		own[f[1]] = n
		total += n
	}
	if seen < 100 || len(own) == 0 {
		t.Fatalf("inittrace shows %d package inits, %d of them ours: is GODEBUG=inittrace=1 honoured?\n%s", seen, len(own), stderr.String())
	}
	if total > ownInitBudget {
		var pkgs []string
		for p, n := range own {
			pkgs = append(pkgs, fmt.Sprintf("%s: %d bytes", p, n))
		}
		sort.Strings(pkgs)
		t.Errorf("bricklayer's package inits allocate %d bytes, over %d: every command pays for them; compile regexps and build tables on first use\n%s",
			total, ownInitBudget, strings.Join(pkgs, "\n"))
	}
}
