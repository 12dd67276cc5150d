package spec

import (
	"slices"
	"strings"
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
			if v.ParsedDockerfile == nil || v.ParsedDockerfile.Err() != nil {
				return nil, true // vet reports why it does not parse
			}
			v.ParsedDockerfile.declareArgs(declared)
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

// SyntaxDirective is the frontend a "# syntax=" line of the image's
// Dockerfile asks for (docker/dockerfile:1.4), or "". bricklayer ignores
// it: the Dockerfile is converted by the BuildKit code it is built with.
func (im *Image) SyntaxDirective() string {
	if im.Dockerfile == "" || im.ParsedDockerfile == nil {
		return ""
	}
	return im.ParsedDockerfile.Syntax
}
