package workflowscan

import (
	"strings"
)

// boolFlags are docker buildx build's and bake's flags that take no
// value; any other flag without =VALUE takes the next word.
var boolFlags = map[string]bool{
	"--push": true, "--load": true, "--pull": true, "--no-cache": true, "-q": true, "--quiet": true,
	"--rm": true, "--force-rm": true, "--squash": true, "--compress": true, "--check": true,
	"--print": true, "--list-targets": true, "--list-variables": true, "--debug": true,
}

// shortFlags are the long names of the one-letter flags.
var shortFlags = map[string]string{"-t": "--tag", "-f": "--file", "-o": "--output", "-q": "--quiet"}

// flagArg is one option of a command line: --name (long), its value,
// and its line; or a positional argument.
type flagArg struct {
	name, value string
	positional  bool
	pos         Pos
}

// parseFlags splits a command line into flags with their values and
// positional arguments.
func parseFlags(args []word) []flagArg {
	var out []flagArg
	for i := 0; i < len(args); i++ {
		a, p := args[i].s, args[i].pos
		if !strings.HasPrefix(a, "-") || a == "-" {
			out = append(out, flagArg{value: a, positional: true, pos: p})
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		if long, ok := shortFlags[name]; ok {
			name = long
		} else if len(name) > 2 && name[1] != '-' {
			// -tNAME: a short flag with its value attached.
			if long, ok := shortFlags[name[:2]]; ok {
				name, val, hasVal = long, a[2:], true
			}
		}
		if !hasVal && !boolFlags[name] && i+1 < len(args) {
			val = args[i+1].s
			i++
		}
		out = append(out, flagArg{name: name, value: val, pos: p})
	}
	return out
}

// buildxBuild reads a docker buildx build (or docker build) command
// line; how is the command as written.
func (s *scanner) buildxBuild(c *stepCtx, how string, args []word, p Pos) {
	b := Build{Pos: p, How: how}
	ctxDir, file := "", ""
	ctxPos := p
	var tags, plats, bargs, outputs []Value
	for _, f := range parseFlags(args) {
		v := Value{S: f.value, Pos: f.pos}
		if f.positional {
			if ctxDir != "" {
				s.dropFlag(f.pos, "shell", "argument "+f.value)
				continue
			}
			ctxDir, ctxPos = f.value, f.pos
			continue
		}
		name := strings.TrimPrefix(f.name, "--")
		switch name {
		case "tag":
			tags = append(tags, v)
		case "platform":
			plats = append(plats, v)
		case "build-arg":
			bargs = append(bargs, v)
		case "file":
			file = f.value
		case "target":
			b.Target = f.value
		case "output":
			outputs = append(outputs, v)
		default:
			if ignored[name] {
				continue
			}
			what := f.name
			if f.value != "" {
				what += " " + f.value
			}
			s.dropFlag(f.pos, name, what)
		}
	}
	if ctxDir == "" {
		s.res.drop(p, b.How, "no build context on the command line")
		return
	}
	if !s.setPaths(&b, c, ctxDir, file, ctxPos) {
		return
	}
	for _, v := range plats {
		s.addPlatforms(&b, c, v)
	}
	b.Tags = append(b.Tags, tags...)
	for _, v := range bargs {
		s.addArg(&b, v)
	}
	for _, v := range outputs {
		s.output(&b, v)
	}
	s.res.Builds = append(s.res.Builds, b)
}

// bakeCommand reads a docker buildx bake command line: the files it
// reads (-f), the targets it builds, and env for the files' variables.
func (s *scanner) bakeCommand(c *stepCtx, args []word, p Pos, env map[string]string) {
	var files, targets []string
	for _, f := range parseFlags(args) {
		name := strings.TrimPrefix(f.name, "--")
		switch {
		case f.positional:
			targets = append(targets, f.value)
		case name == "file":
			files = append(files, f.value)
		case ignored[name] || name == "print":
		case name == "set":
			s.res.drop(f.pos, "--set "+f.value, "bake overrides: write the value in bricklayer.cue")
		default:
			s.dropFlag(f.pos, name, f.name+" "+f.value)
		}
	}
	s.bake(c, p, files, targets, env)
}
