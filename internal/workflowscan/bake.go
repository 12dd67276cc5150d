package workflowscan

import (
	"fmt"
	"iter"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"gopkg.in/yaml.v3"
)

// bakeFiles are the files docker buildx bake reads without -f that init
// reads too, in its order; its compose files are not read here.
var bakeFiles = []string{"docker-bake.json", "docker-bake.hcl", "docker-bake.override.json", "docker-bake.override.hcl"}

// maxInherits bounds a target's chain of inherits (and a group's of
// groups), so that a cycle ends.
const maxInherits = 16

var bakeSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "group", LabelNames: []string{"name"}},
	{Type: "target", LabelNames: []string{"name"}},
	{Type: "function", LabelNames: []string{"name"}},
}}

// bakeAction reads a docker/bake-action step's inputs.
func (s *scanner) bakeAction(c *stepCtx, st *yaml.Node) {
	p := c.where(st)
	with := get(st, "with")
	var files, targets []string
	for _, v := range c.list(get(with, "files"), true) {
		files = append(files, v.S)
	}
	for _, v := range c.list(get(with, "targets"), true) {
		targets = append(targets, v.S)
	}
	for _, v := range c.list(get(with, "set"), false) {
		s.res.drop(v.Pos, "set: "+v.S, "bake overrides: write the value in bricklayer.cue")
	}
	if w := get(with, "workdir"); w != nil {
		c.wd = path.Join(c.wd, w.Value)
	}
	s.bake(c, p, files, targets, c.env)
}

// bakeFile is one parsed bake file.
type bakeFile struct {
	name string
	body hcl.Body
}

// bake reads the bake files a bake run at p reads and makes a Build of
// each target it builds. env gives the files' variables values.
func (s *scanner) bake(c *stepCtx, p Pos, files, targets []string, env map[string]string) {
	how := "docker buildx bake"
	if len(files) == 0 {
		for _, f := range bakeFiles {
			if s.exists(path.Join(c.wd, f)) {
				files = append(files, f)
			}
		}
		if len(files) == 0 {
			s.res.drop(p, how, "no docker-bake.hcl or docker-bake.json beside it; compose files as bake input are not read")
			return
		}
	}
	var parsed []bakeFile
	for _, f := range files {
		rel, ok := relPath(c.wd, f)
		if !ok {
			s.res.drop(p, how+" -f "+f, "a bake file outside the repository, or one CI computes")
			continue
		}
		dt, err := s.read(rel)
		if err != nil {
			s.res.drop(p, how+" -f "+f, "not read: "+err.Error())
			continue
		}
		var file *hcl.File
		var diags hcl.Diagnostics
		if strings.HasSuffix(rel, ".json") {
			file, diags = hcljson.Parse(dt, rel)
		} else {
			file, diags = hclsyntax.ParseConfig(dt, rel, hcl.InitialPos)
		}
		if diags.HasErrors() {
			s.diag(diags, "the bake file", "not parsed")
			continue
		}
		parsed = append(parsed, bakeFile{name: rel, body: file.Body})
	}
	if len(parsed) == 0 {
		return
	}
	bk := s.readBake(parsed, env)
	if len(targets) == 0 {
		targets = []string{"default"}
	}
	from := fmt.Sprintf(" (run at %s)", p)
	for _, t := range bk.expand(targets, 0) {
		blocks, ok := bk.targets[t]
		if !ok {
			s.res.drop(p, "bake target "+t, "no such target or group in "+strings.Join(files, ", "))
			continue
		}
		s.bakeTarget(c, bk, t, blocks, how+" target "+t+from)
	}
}

// bakeDef is what the bake files define.
type bakeDef struct {
	vars    map[string]cty.Value
	groups  map[string][]string
	targets map[string][]*hcl.Block // a target defined twice is merged, later wins
	order   []string
}

// readBake reads the variables, groups and targets of the files.
func (s *scanner) readBake(files []bakeFile, env map[string]string) *bakeDef {
	bk := &bakeDef{vars: map[string]cty.Value{}, groups: map[string][]string{}, targets: map[string][]*hcl.Block{}}
	var groups []*hcl.Block
	for _, f := range files {
		content, _, diags := f.body.PartialContent(bakeSchema)
		if diags.HasErrors() {
			s.diag(diags, "the bake file", "not read")
		}
		if content == nil {
			continue
		}
		for _, b := range content.Blocks {
			name := b.Labels[0]
			switch b.Type {
			case "variable":
				bk.vars[name] = s.variable(b, name, env)
			case "group":
				groups = append(groups, b)
			case "target":
				if bk.targets[name] == nil {
					bk.order = append(bk.order, name)
				}
				bk.targets[name] = append(bk.targets[name], b)
			case "function":
				s.res.drop(rangePos(b.DefRange), "function "+name, "bake functions are not evaluated; what uses it is reported")
			}
		}
	}
	// Groups after the variables they may use.
	for _, b := range groups {
		attrs, _ := b.Body.JustAttributes()
		if a, ok := attrs["targets"]; ok {
			if v, ok := s.eval(bk, a); ok {
				bk.groups[b.Labels[0]] = stringList(v)
			}
		}
	}
	return bk
}

// variable is a bake variable's value for the run: the step's
// environment's, else its default, else a value CI gives at run time.
func (s *scanner) variable(b *hcl.Block, name string, env map[string]string) cty.Value {
	if v, ok := env[name]; ok {
		return cty.StringVal(v)
	}
	attrs, _ := b.Body.JustAttributes()
	if a, ok := attrs["default"]; ok {
		v, diags := a.Expr.Value(nil)
		if !diags.HasErrors() && v.IsWhollyKnown() {
			return v
		}
	}
	return cty.StringVal("${" + name + "}")
}

// expand turns names of groups into their targets, in order, once each.
func (bk *bakeDef) expand(names []string, depth int) []string {
	var out []string
	for _, n := range names {
		if g, ok := bk.groups[n]; ok && depth < maxInherits && bk.targets[n] == nil {
			for _, t := range bk.expand(g, depth+1) {
				if !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// attrs are a target's attributes with those it inherits, its own last
// so that they win; args are merged.
func (s *scanner) attrs(bk *bakeDef, name string, depth int, seen map[string]bool) []*hcl.Attribute {
	if seen[name] || depth > maxInherits {
		return nil
	}
	seen[name] = true
	var out []*hcl.Attribute
	for _, b := range bk.targets[name] {
		attrs, _ := b.Body.JustAttributes()
		if a, ok := attrs["inherits"]; ok {
			if v, ok := s.eval(bk, a); ok {
				for _, parent := range stringList(v) {
					out = append(out, s.attrs(bk, parent, depth+1, seen)...)
				}
			}
		}
		for _, a := range sortedAttrs(attrs) {
			if a.Name != "inherits" {
				out = append(out, a)
			}
		}
	}
	return out
}

// sortedAttrs are a body's attributes in the order they are written.
func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *hcl.Attribute) int {
		if c := strings.Compare(a.Range.Filename, b.Range.Filename); c != 0 {
			return c
		}
		return a.Range.Start.Byte - b.Range.Start.Byte
	})
	return out
}

// bakeTarget makes a Build of one target.
func (s *scanner) bakeTarget(c *stepCtx, bk *bakeDef, name string, blocks []*hcl.Block, how string) {
	b := Build{Pos: rangePos(blocks[0].DefRange), How: how}
	ctxDir, file := ".", "Dockerfile"
	ctxPos := b.Pos
	args := map[string]Value{}
	var argOrder []string
	for _, a := range s.attrs(bk, name, 0, map[string]bool{}) {
		p := rangePos(a.Range)
		switch a.Name {
		case "description", "name":
			continue
		case "matrix":
			s.res.drop(p, "matrix of target "+name, "bake matrices are not expanded: write the images in bricklayer.cue (a CUE comprehension makes a matrix)")
			return
		}
		v, ok := s.eval(bk, a)
		if !ok {
			continue
		}
		switch a.Name {
		case "context":
			ctxDir, ctxPos = str(v), p
		case "dockerfile":
			file = str(v)
		case "target":
			b.Target = str(v)
		case "platforms":
			b.Platforms = nil // the target's own replace those it inherits
			for _, x := range stringList(v) {
				s.addPlatforms(&b, c, Value{S: x, Pos: p})
			}
		case "tags":
			b.Tags = nil
			for _, x := range stringList(v) {
				b.Tags = append(b.Tags, Value{S: x, Pos: p})
			}
		case "args":
			// Inherited args are merged, the target's own winning.
			for k, x := range entries(v) {
				if x.IsNull() {
					continue
				}
				if _, ok := args[k]; !ok {
					argOrder = append(argOrder, k)
				}
				args[k] = Value{S: k + "=" + str(x), Pos: p}
			}
		case "output":
			for _, x := range stringList(v) {
				s.output(&b, Value{S: x, Pos: p})
			}
		default:
			flag := strings.TrimSuffix(a.Name, "s")
			if a.Name == "contexts" {
				flag = "build-context"
			}
			if ignored[a.Name] {
				continue
			}
			s.dropFlag(p, flag, a.Name+" = "+strings.Join(stringList(v), ", "))
		}
	}
	for _, k := range argOrder {
		s.addArg(&b, args[k])
	}
	// A bake target's Dockerfile is relative to its context.
	if !s.setPaths(&b, c, ctxDir, "", ctxPos) {
		return
	}
	if !Unresolved(file) && !path.IsAbs(file) {
		b.Dockerfile = path.Join(b.Context, file)
	} else {
		s.dropFlag(ctxPos, "file", "dockerfile "+file)
		return
	}
	s.res.Builds = append(s.res.Builds, b)
}

// eval evaluates an attribute with the variables; what it cannot (a
// function, a reference to another target) is reported.
func (s *scanner) eval(bk *bakeDef, a *hcl.Attribute) (cty.Value, bool) {
	v, diags := a.Expr.Value(&hcl.EvalContext{Variables: bk.vars})
	if diags.HasErrors() || !v.IsWhollyKnown() {
		s.res.drop(rangePos(a.Range), a.Name, "bake computes it (a function or another target's value): not evaluated")
		return cty.NilVal, false
	}
	return v, true
}

// diag reports a file's diagnostics at their places.
func (s *scanner) diag(diags hcl.Diagnostics, what, why string) {
	for _, d := range diags.Errs() {
		p := Pos{}
		msg := d.Error()
		if hd, ok := d.(*hcl.Diagnostic); ok {
			msg = hd.Summary
			if hd.Detail != "" {
				msg += ": " + hd.Detail
			}
			if hd.Subject != nil {
				p = rangePos(*hd.Subject)
			}
		}
		s.res.drop(p, what, why+": "+msg)
	}
}

func rangePos(r hcl.Range) Pos { return Pos{File: r.Filename, Line: r.Start.Line} }

// str is v as a string: numbers and bools as written.
func str(v cty.Value) string {
	if v.IsNull() {
		return ""
	}
	if sv, err := convert.Convert(v, cty.String); err == nil && sv.IsKnown() && !sv.IsNull() {
		return sv.AsString()
	}
	return v.GoString()
}

// stringList is v as strings: a list, set or tuple, or a single value.
func stringList(v cty.Value) []string {
	if v.IsNull() {
		return nil
	}
	if v.Type().IsObjectType() || v.Type().IsMapType() {
		var out []string
		for k, e := range entries(v) {
			out = append(out, k+"="+str(e))
		}
		return out
	}
	if !v.CanIterateElements() {
		return []string{str(v)}
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, str(e))
	}
	return out
}

// entries are the keys and values of a map or object value, by key.
func entries(v cty.Value) iter.Seq2[string, cty.Value] {
	return func(yield func(string, cty.Value) bool) {
		if v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
			return
		}
		m := v.AsValueMap()
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}
