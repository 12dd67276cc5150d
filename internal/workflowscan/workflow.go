package workflowscan

import (
	"maps"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// stepCtx is what a step's values are read with: the env of the
// workflow, job and step, the job's matrix, the working directory, and
// the expressions of the step that are only known at run time.
type stepCtx struct {
	file string
	// env holds literal values, or values with run-time parts (markers).
	env    map[string]string
	matrix map[string][]string // the job's matrix axes of literal values
	wd     string              // run steps' working directory, a slash path
	exprs  []string            // the texts behind ${{@N}} markers
}

var (
	exprRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`) })
	markerRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{\{@([0-9]+)\}\}`) })
	yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`line ([0-9]+)`) })
)

// expand replaces the GitHub expressions of s (${{ env.X }}, ${{
// matrix.Y }}) with their values where the workflow writes them, and
// the others with markers that survive shell splitting (restore puts
// them back).
func (c *stepCtx) expand(s string) string {
	return exprRE().ReplaceAllStringFunc(s, func(m string) string {
		e := exprRE().FindStringSubmatch(m)[1]
		if name, ok := strings.CutPrefix(e, "env."); ok {
			if v, ok := c.env[name]; ok {
				// Its run-time parts become markers too.
				return c.expand(v)
			}
		}
		if name, ok := strings.CutPrefix(e, "matrix."); ok && len(c.matrix[name]) == 1 {
			return c.matrix[name][0]
		}
		c.exprs = append(c.exprs, e)
		return "${{@" + strconv.Itoa(len(c.exprs)-1) + "}}"
	})
}

// restore writes markers back as the expressions they stand for.
func (c *stepCtx) restore(s string) string {
	return markerRE().ReplaceAllStringFunc(s, func(m string) string {
		i, _ := strconv.Atoi(markerRE().FindStringSubmatch(m)[1])
		if i < len(c.exprs) {
			return "${{ " + c.exprs[i] + " }}"
		}
		return m
	})
}

// matrixList is the values of a matrix axis when v is only a
// reference to it (${{ matrix.platform }}), as a job per value builds.
func (c *stepCtx) matrixList(v string) []string {
	m := exprRE().FindStringSubmatch(v)
	if m == nil || m[0] != v {
		return nil
	}
	name, ok := strings.CutPrefix(m[1], "matrix.")
	if !ok {
		return nil
	}
	return c.matrix[name]
}

// workflow reads one workflow file's jobs and steps.
func (s *scanner) workflow(file string) {
	dt, err := s.read(file)
	if err != nil {
		s.res.drop(Pos{File: file}, "the workflow", "not read: "+err.Error())
		return
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(dt, &doc); err != nil {
		p := Pos{File: file}
		if m := yamlLine().FindStringSubmatch(err.Error()); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
		}
		s.res.drop(p, "the workflow", "not parsed: "+strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return
	}
	root := doc.Content[0]
	base := &stepCtx{file: file, env: map[string]string{}, wd: "."}
	base.env = base.envOf(get(root, "env"))
	if wd := get(get(get(root, "defaults"), "run"), "working-directory"); wd != nil {
		base.wd = wd.Value
	}
	jobs := get(root, "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		return
	}
	for i := 1; i < len(jobs.Content); i += 2 {
		s.job(base, jobs.Content[i])
	}
}

// job reads the steps of one job.
func (s *scanner) job(base *stepCtx, job *yaml.Node) {
	jc := &stepCtx{file: base.file, env: base.env, wd: base.wd, matrix: matrixOf(get(get(job, "strategy"), "matrix"))}
	jc.env = jc.envOf(get(job, "env"))
	if wd := get(get(get(job, "defaults"), "run"), "working-directory"); wd != nil {
		jc.wd = wd.Value
	}
	steps := get(job, "steps")
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return
	}
	for _, st := range steps.Content {
		c := &stepCtx{file: jc.file, env: jc.env, wd: jc.wd, matrix: jc.matrix}
		c.env = c.envOf(get(st, "env"))
		if wd := get(st, "working-directory"); wd != nil {
			c.wd = wd.Value
		}
		uses := ""
		if u := get(st, "uses"); u != nil {
			uses, _, _ = strings.Cut(u.Value, "@")
		}
		switch {
		case uses == "docker/build-push-action":
			s.buildPushAction(c, st)
		case uses == "docker/bake-action":
			s.bakeAction(c, st)
		case get(st, "run") != nil && get(st, "run").Kind == yaml.ScalarNode:
			s.run(c, get(st, "run"))
		}
	}
}

// envOf is c's env with the variables of an env: mapping added, their
// values expanded with those before them.
func (c *stepCtx) envOf(n *yaml.Node) map[string]string {
	if n == nil || n.Kind != yaml.MappingNode {
		return c.env
	}
	env := maps.Clone(c.env)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := n.Content[i+1]; v.Kind == yaml.ScalarNode {
			// Evaluated in the outer env, as GitHub does.
			env[n.Content[i].Value] = c.restore(c.expand(v.Value))
		}
	}
	return env
}

// matrixOf reads a job's matrix axes whose values are literal scalars.
func matrixOf(n *yaml.Node) map[string][]string {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := map[string][]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		if k == "include" || k == "exclude" || v.Kind != yaml.SequenceNode {
			continue
		}
		var vals []string
		for _, e := range v.Content {
			if e.Kind != yaml.ScalarNode || exprRE().MatchString(e.Value) {
				vals = nil
				break
			}
			vals = append(vals, e.Value)
		}
		if vals != nil {
			out[k] = vals
		}
	}
	return out
}

// get is the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalarLines are the lines of a scalar with the line each is on: a
// block scalar (| or >) starts on the line after its key.
func scalarLines(file string, n *yaml.Node) []Value {
	first := n.Line
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		first++
	}
	var out []Value
	for i, l := range strings.Split(strings.TrimRight(n.Value, "\n"), "\n") {
		out = append(out, Value{S: l, Pos: Pos{File: file, Line: first + i}})
	}
	return out
}

// list reads an action input that is a list: one item a line, or also
// comma-separated (commas), skipping blank lines.
func (c *stepCtx) list(n *yaml.Node, commas bool) []Value {
	if n == nil {
		return nil
	}
	var out []Value
	for _, l := range scalarLines(c.file, n) {
		parts := []string{l.S}
		if commas {
			parts = strings.Split(l.S, ",")
		}
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, Value{S: c.restore(c.expand(p)), Pos: l.Pos})
			}
		}
	}
	return out
}

// where is a node's position.
func (c *stepCtx) where(n *yaml.Node) Pos {
	return Pos{File: c.file, Line: n.Line}
}
