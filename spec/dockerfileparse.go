package spec

import (
	"bytes"
	"errors"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// ParsedDockerfile is a Dockerfile as BuildKit's parser reads it. A load
// parses each Dockerfile once; the images that name it share the value,
// and what reads it later (vet's checks, unused args) reads it and does
// not parse again. It is not changed once made: lowerings of several
// platforms read it side by side.
type ParsedDockerfile struct {
	// Stages and MetaArgs (the ARGs before the first FROM) are its
	// instructions; nil when it does not parse (Err says why).
	Stages   []instructions.Stage
	MetaArgs []instructions.ArgCommand
	// Escape is its escape character (\ unless # escape= says).
	Escape rune
	// Syntax is the frontend its # syntax= line asks for, or "".
	Syntax string
	// Check is the settings of its # check= directive (empty without
	// one); nil when the directive does not parse, which the converter
	// reports.
	Check *linter.Config

	err error
}

// Errors of a Dockerfile that parses but has nothing to build.
var (
	errEmptyDockerfile = errors.New("the Dockerfile is empty")
	errNoStage         = errors.New("no FROM: the Dockerfile has no stage to build")
)

// ParseDockerfile parses the Dockerfile dt as BuildKit's converter does.
// It always returns a value: one that did not parse has Err set, and its
// directives still read.
func ParseDockerfile(dt []byte) *ParsedDockerfile {
	p := &ParsedDockerfile{Escape: '\\', Check: &linter.Config{}}
	if syntax, _, _, ok := parser.DetectSyntax(dt); ok {
		p.Syntax = syntax
	}
	if v, _, _, ok := parser.ParseDirective("check", dt); ok {
		cfg, err := linter.ParseLintOptions(v)
		if err != nil {
			cfg = nil
		}
		p.Check = cfg
	}
	if len(dt) == 0 {
		p.err = errEmptyDockerfile
		return p
	}
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		p.err = err
		return p
	}
	p.Escape = res.EscapeToken
	stages, metaArgs, err := instructions.Parse(res.AST, quietLinter())
	switch {
	case err != nil:
		p.err = err
	case len(stages) == 0:
		p.err = errNoStage
	default:
		p.Stages, p.MetaArgs = stages, metaArgs
	}
	return p
}

// Err is why the Dockerfile does not parse, or nil.
func (p *ParsedDockerfile) Err() error { return p.err }

// CheckError tells whether the Dockerfile says # check=error=true, which
// makes BuildKit's converter fail on any finding.
func (p *ParsedDockerfile) CheckError() bool { return p.Check != nil && p.Check.ReturnAsError }

// stageAt is the index of the stage holding line, or -1 before the
// first FROM.
func (p *ParsedDockerfile) stageAt(line int) int {
	i := len(p.Stages) - 1
	for i >= 0 && fromLine(p.Stages[i]) > line {
		i--
	}
	return i
}

// fromLine is the line of the stage's FROM.
func fromLine(st instructions.Stage) int {
	if len(st.Location) == 0 {
		return 0
	}
	return st.Location[0].Start.Line
}

// baseEnvUnknown: see Image.BaseEnvUnknown.
func (p *ParsedDockerfile) baseEnvUnknown(line int) bool {
	i := p.stageAt(line)
	if i < 0 {
		return false // before the first FROM only args are in scope
	}
	for {
		base := strings.ToLower(p.Stages[i].BaseName)
		if base == "scratch" {
			return false
		}
		// A FROM names an earlier stage; the index only decreases.
		if i = slices.IndexFunc(p.Stages[:i], func(s instructions.Stage) bool { return s.Name == base }); i < 0 {
			return true
		}
	}
}

// declareArgs adds the ARGs the Dockerfile declares (before its first
// FROM or in a stage) to declared.
func (p *ParsedDockerfile) declareArgs(declared map[string]bool) {
	for _, a := range p.MetaArgs {
		for _, kv := range a.Args {
			declared[kv.Key] = true
		}
	}
	for _, st := range p.Stages {
		for _, cmd := range st.Commands {
			if a, ok := cmd.(*instructions.ArgCommand); ok {
				for _, kv := range a.Args {
					declared[kv.Key] = true
				}
			}
		}
	}
}
