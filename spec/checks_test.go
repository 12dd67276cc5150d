package spec

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCheckRules compares the rules checks.skip accepts with the rule set
// of the BuildKit module bricklayer is built with, read from its source:
// a BuildKit upgrade that adds or drops a rule fails here.
func TestCheckRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/moby/buildkit").Output()
	if err != nil {
		t.Skipf("locating the BuildKit module: %v", err)
	}
	file := filepath.Join(strings.TrimSpace(string(out)), "frontend", "dockerfile", "linter", "ruleset.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "Name" {
			if lit, ok := kv.Value.(*ast.BasicLit); ok {
				name, _ := strconv.Unquote(lit.Value)
				want = append(want, name)
			}
		}
		return true
	})
	got := CheckRules()
	slices.Sort(want)
	slices.Sort(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("CheckRules() = %v\nBuildKit's rules: %v", got, want)
	}
}

func TestBaseEnvUnknown(t *testing.T) {
	p := ParseDockerfile([]byte(`ARG BASE=x

FROM golang:1.23 AS tools
RUN true
RUN true
FROM scratch AS empty
COPY a b
FROM Empty AS onempty
COPY a b
FROM tools AS ontools
RUN true
FROM ${BASE}
RUN true
FROM later AS x
RUN true
FROM scratch AS later
COPY a b
`))
	if p.Err() != nil {
		t.Fatal(p.Err())
	}
	im := &Image{ParsedDockerfile: p}
	// A stage named like a later one (x, line 14) refers to an image.
	for line, want := range map[int]bool{
		1:  false, // global args
		3:  true,
		5:  true,
		6:  false,
		7:  false,
		9:  false, // from a stage from scratch, named in another case
		11: true,  // through tools
		13: true,  // a name made of args
		15: true,
		17: false,
	} {
		if got := im.BaseEnvUnknown(line); got != want {
			t.Errorf("BaseEnvUnknown(%d) = %v, want %v", line, got, want)
		}
	}
}

func TestCheckErrorDirective(t *testing.T) {
	for dt, want := range map[string]bool{
		"# check=error=true\nFROM scratch\n":                                        true,
		"# syntax=docker/dockerfile:1\n# check=skip=all;error=true\nFROM scratch\n": true,
		"# check=error=false\nFROM scratch\n":                                       false,
		"# check=skip=StageNameCasing\nFROM scratch\n":                              false,
		"FROM scratch\n# check=error=true\n":                                        false, // not a directive after FROM
		"# check=bogus\nFROM scratch\n":                                             false, // the converter reports it
	} {
		if got := ParseDockerfile([]byte(dt)).CheckError(); got != want {
			t.Errorf("CheckError() of %q = %v, want %v", dt, got, want)
		}
	}
}

// TestCheckCommentParses: a # check= comment above an instruction is no
// reason to panic.
func TestCheckCommentParses(t *testing.T) {
	dir := t.TempDir()
	df := "FROM scratch\n# check=skip=JSONArgsRecommended\nCMD run\nARG X\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `images: app: {repository: "x/app", dockerfile: "Dockerfile", args: X: "1"}`
	s, err := Parse(filepath.Join(dir, FileName), []byte(src))
	if err != nil {
		t.Fatal(Diagnostics(err))
	}
	if unused := s.Images["app"].UnusedArgs(); len(unused) != 0 {
		t.Errorf("UnusedArgs() = %v", unused)
	}
}
