package spec

import (
	"bytes"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// predefinedArgs are the args a Dockerfile sees without declaring them:
// the proxy variables, and BuildKit's own settings.
var predefinedArgs = []string{
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
	"NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
}

// UnusedArgs are the names of the image's args (its own, and those of
// its platform overrides) that nothing reads: a Dockerfile image's that no
// ARG of the Dockerfile declares, a native image's that no arg step of
// the image declares when none of its steps runs a command. Such an arg
// changes nothing in the image.
func (im *Image) UnusedArgs() []string {
	declared, all := im.declaredArgs()
	if all {
		return nil
	}
	var unused []string
	for _, v := range im.All() {
		for name := range v.Args {
			if !declared[name] && !slices.Contains(predefinedArgs, name) && !slices.Contains(unused, name) &&
				!strings.HasPrefix(name, "BUILDKIT_") {
				unused = append(unused, name)
			}
		}
	}
	slices.Sort(unused)
	return unused
}

// declaredArgs are the args the image declares; all is true when every
// arg reaches a step (a native run step sees them all).
func (im *Image) declaredArgs() (declared map[string]bool, all bool) {
	declared = map[string]bool{}
	if im.Dockerfile != "" {
		for _, v := range im.All() {
			if !dockerfileArgs(v.DockerfileData, declared) {
				return nil, true // vet reports why it does not parse
			}
		}
		return declared, false
	}
	stages := []*Stage{&im.Stage}
	for _, v := range im.All()[1:] {
		stages = append(stages, &v.Stage)
	}
	for _, name := range SortedKeys(im.Stages) {
		stages = append(stages, im.Stages[name])
	}
	for _, st := range stages {
		for _, step := range st.Steps {
			switch step.Kind {
			case StepRun:
				return nil, true
			case StepArg:
				for name := range step.Args {
					declared[name] = true
				}
			}
		}
	}
	return declared, false
}

// dockerfileArgs adds the ARGs the Dockerfile dt declares (before its
// first FROM or in a stage) to declared, and tells whether it parsed.
func dockerfileArgs(dt []byte, declared map[string]bool) bool {
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return false
	}
	stages, metaArgs, err := instructions.Parse(res.AST, quietLinter())
	if err != nil {
		return false
	}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			declared[kv.Key] = true
		}
	}
	for _, st := range stages {
		for _, cmd := range st.Commands {
			if a, ok := cmd.(*instructions.ArgCommand); ok {
				for _, kv := range a.Args {
					declared[kv.Key] = true
				}
			}
		}
	}
	return true
}

// SyntaxDirective is the frontend a "# syntax=" line of the image's
// Dockerfile asks for (docker/dockerfile:1.4), or "". bricklayer ignores
// it: the Dockerfile is converted by the BuildKit code it is built with.
func (im *Image) SyntaxDirective() string {
	if im.Dockerfile == "" {
		return ""
	}
	syntax, _, _, ok := parser.DetectSyntax(im.DockerfileData)
	if !ok {
		return ""
	}
	return syntax
}
