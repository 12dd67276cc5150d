package workflowscan

import (
	"maps"
	"regexp"
	"strings"
	"sync"

	"github.com/google/shlex"
	"gopkg.in/yaml.v3"
)

// word is a word of a run script, and the line it is on.
type word struct {
	s   string
	pos Pos
}

var assignRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)
})

// run reads the docker buildx build and bake commands of a run: script.
// The rest of a script that builds is reported: bricklayer runs none of it.
func (s *scanner) run(c *stepCtx, n *yaml.Node) {
	env := maps.Clone(c.env)
	var others []Value
	builds := 0
	for _, parts := range logicalLines(scalarLines(c.file, n)) {
		raw := strings.TrimSpace(c.expand(parts[0].S))
		if raw == "" || strings.HasPrefix(raw, "#") {
			continue
		}
		// VAR=value: a literal is known from here on; a command's
		// output ($(...)) is not.
		if m := assignRE().FindStringSubmatch(raw); m != nil && len(parts) == 1 {
			w, err := shlex.Split(m[2])
			switch {
			case strings.Contains(m[2], "$(") || strings.Contains(m[2], "`"):
				env[m[1]] = "${" + m[1] + "}"
			case err == nil && len(w) == 0:
				env[m[1]] = ""
			case err == nil && len(w) == 1:
				env[m[1]] = shellExpand(w[0], env)
			default:
				m = nil // VAR=value before a command
			}
			if m != nil {
				others = append(others, Value{S: c.restore(raw), Pos: parts[0].Pos})
				continue
			}
		}
		words, ok := c.words(parts)
		if !ok {
			others = append(others, Value{S: c.restore(raw), Pos: parts[0].Pos})
			continue
		}
		for _, cmd := range splitCommands(words) {
			cmdEnv := env
			i := 0
			// VAR=value before a command is its environment.
			for ; i < len(cmd) && assignRE().MatchString(cmd[i].s); i++ {
				if i == 0 {
					cmdEnv = maps.Clone(env)
				}
				m := assignRE().FindStringSubmatch(cmd[i].s)
				cmdEnv[m[1]] = shellExpand(m[2], env)
			}
			expanded := make([]word, 0, len(cmd)-i)
			text := make([]string, 0, len(cmd))
			for _, w := range cmd {
				text = append(text, w.s)
			}
			for _, w := range cmd[i:] {
				expanded = append(expanded, word{c.restore(shellExpand(w.s, cmdEnv)), w.pos})
			}
			switch kind, args := dockerBuild(expanded); kind {
			case "build":
				builds++
				how := strings.Join(words2strings(expanded[:len(expanded)-len(args)]), " ")
				s.buildxBuild(c, how, args, cmd[0].pos)
			case "bake":
				builds++
				s.bakeCommand(c, args, cmd[0].pos, cmdEnv)
			default:
				others = append(others, Value{S: c.restore(strings.Join(text, " ")), Pos: cmd[0].pos})
			}
		}
	}
	if builds == 0 {
		return
	}
	for _, o := range others {
		s.dropFlag(o.Pos, "shell", o.S)
	}
}

// words splits a logical line's parts into words, each at its line.
func (c *stepCtx) words(parts []Value) ([]word, bool) {
	var out []word
	for _, p := range parts {
		ws, err := shlex.Split(c.expand(p.S))
		if err != nil {
			return nil, false
		}
		for _, w := range ws {
			out = append(out, word{w, p.Pos})
		}
	}
	return out, true
}

// logicalLines groups lines continued with a trailing backslash, the
// backslashes dropped.
func logicalLines(lines []Value) [][]Value {
	var out [][]Value
	cont := false
	for _, l := range lines {
		t := strings.TrimRight(l.S, " \t")
		more := strings.HasSuffix(t, `\`)
		if more {
			l.S = strings.TrimSuffix(t, `\`)
		}
		if cont {
			out[len(out)-1] = append(out[len(out)-1], l)
		} else {
			out = append(out, []Value{l})
		}
		cont = more
	}
	return out
}

// splitCommands splits a line's words at the shell's command separators.
func splitCommands(words []word) [][]word {
	var out [][]word
	var cur []word
	for _, w := range words {
		switch w.s {
		case "&&", "||", ";", "|", "&":
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		if t, ok := strings.CutSuffix(w.s, ";"); ok {
			if t != "" {
				cur = append(cur, word{t, w.pos})
			}
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, w)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// shellExpand replaces $NAME, ${NAME} and ${NAME:-default} in w with
// env's values; a variable env does not know is kept as ${NAME}, a value
// CI has at run time.
func shellExpand(w string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] != '$' || i+1 == len(w) {
			b.WriteByte(w[i])
			continue
		}
		// Markers of GitHub expressions stay as they are.
		if strings.HasPrefix(w[i:], "${{") {
			end := strings.Index(w[i:], "}}")
			if end < 0 {
				b.WriteString(w[i:])
				break
			}
			b.WriteString(w[i : i+end+2])
			i += end + 1
			continue
		}
		name, def, hasDef, n := "", "", false, 0
		if w[i+1] == '{' {
			end := strings.IndexByte(w[i:], '}')
			if end < 0 {
				b.WriteString(w[i:])
				break
			}
			inner := w[i+2 : i+end]
			name, def, hasDef = strings.Cut(inner, ":-")
			n = end + 1
		} else {
			j := i + 1
			for j < len(w) && (w[j] == '_' || w[j] >= 'a' && w[j] <= 'z' || w[j] >= 'A' && w[j] <= 'Z' || j > i+1 && w[j] >= '0' && w[j] <= '9') {
				j++
			}
			if j == i+1 {
				b.WriteByte('$')
				continue
			}
			name, n = w[i+1:j], j-i
		}
		// An unset variable may still be set by the CI at run time.
		switch v, ok := env[name]; {
		case ok && v != "":
			b.WriteString(v)
		case ok && hasDef:
			b.WriteString(def)
		case ok:
		default:
			b.WriteString("${" + name + "}")
		}
		i += n - 1
	}
	return b.String()
}

// dockerBuild tells whether words are a docker build or bake command
// (docker buildx build, docker build, docker image build, docker buildx
// bake), and gives its arguments.
func dockerBuild(words []word) (kind string, args []word) {
	i := 0
	for i < len(words) && (words[i].s == "sudo" || words[i].s == "time" || words[i].s == "env") {
		i++
	}
	if i >= len(words) || words[i].s != "docker" {
		return "", nil
	}
	rest := words[i+1:]
	is := func(k int, s string) bool { return len(rest) > k && rest[k].s == s }
	switch {
	case is(0, "buildx"):
		rest = rest[1:]
		// buildx's own flags: --builder NAME.
		for len(rest) > 1 && strings.HasPrefix(rest[0].s, "--") {
			if strings.Contains(rest[0].s, "=") {
				rest = rest[1:]
			} else {
				rest = rest[2:]
			}
		}
		switch {
		case is(0, "build") || is(0, "b"):
			return "build", rest[1:]
		case is(0, "bake"):
			return "bake", rest[1:]
		}
	case is(0, "build"):
		return "build", rest[1:]
	case is(0, "image") && is(1, "build"):
		return "build", rest[2:]
	}
	return "", nil
}

func words2strings(ws []word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.s
	}
	return out
}
