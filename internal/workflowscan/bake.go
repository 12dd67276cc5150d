package workflowscan

import (
	"fmt"
	"iter"
	"maps"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// bakeFiles are the files docker buildx bake reads without -f that init
// reads too, in its order; its compose files are not read here.
var bakeFiles = []string{"docker-bake.json", "docker-bake.hcl", "docker-bake.override.json", "docker-bake.override.hcl"}

// maxInherits bounds a target's chain of inherits (and a group's of
// groups), so that a cycle ends.
const maxInherits = 16

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
	name    string
	content *bakeContent
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
		content, perr := readBakeFile(rel, dt)
		if perr != nil {
			s.res.drop(Pos{File: rel, Line: perr.line}, "the bake file", "not parsed: "+perr.msg)
			continue
		}
		parsed = append(parsed, bakeFile{name: rel, content: content})
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
	vars    scope
	groups  map[string][]string
	targets map[string][]fileBlock // a target defined twice is merged, later wins
	order   []string
}

// fileBlock is a block of a bake file.
type fileBlock struct {
	file string
	*bakeBlock
}

func (b fileBlock) pos() Pos { return Pos{File: b.file, Line: b.line} }

// fileAttr is an attribute of a bake file.
type fileAttr struct {
	file string
	*hclAttr
}

func (a fileAttr) pos() Pos { return Pos{File: a.file, Line: a.line} }

// readBake reads the variables, groups and targets of the files.
func (s *scanner) readBake(files []bakeFile, env map[string]string) *bakeDef {
	bk := &bakeDef{vars: scope{}, groups: map[string][]string{}, targets: map[string][]fileBlock{}}
	var groups []fileBlock
	for _, f := range files {
		for _, d := range f.content.diags {
			s.res.drop(Pos{File: f.name, Line: d.line}, "the bake file", "not read: "+d.msg)
		}
		for _, b := range f.content.blocks {
			fb := fileBlock{file: f.name, bakeBlock: b}
			switch b.typ {
			case "variable":
				bk.vars[b.name] = variable(b, env)
			case "group":
				groups = append(groups, fb)
			case "target":
				if bk.targets[b.name] == nil {
					bk.order = append(bk.order, b.name)
				}
				bk.targets[b.name] = append(bk.targets[b.name], fb)
			case "function":
				s.res.drop(fb.pos(), "function "+b.name, "bake functions are not evaluated; what uses it is reported")
			}
		}
	}
	// Groups after the variables they may use.
	for _, b := range groups {
		if a := b.attr("targets"); a != nil {
			if v, ok := s.eval(bk, fileAttr{b.file, a}); ok {
				bk.groups[b.name] = stringList(v)
			}
		}
	}
	return bk
}

// variable is a bake variable's value for the run: the step's
// environment's, else its default, else a value CI gives at run time.
func variable(b *bakeBlock, env map[string]string) value {
	if v, ok := env[b.name]; ok {
		return stringVal(v)
	}
	if a := b.attr("default"); a != nil {
		// A default is literal: it names no variable.
		if v, ok := a.expr.eval(nil); ok {
			return v
		}
	}
	return stringVal("${" + b.name + "}")
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
func (s *scanner) attrs(bk *bakeDef, name string, depth int, seen map[string]bool) []fileAttr {
	if seen[name] || depth > maxInherits {
		return nil
	}
	seen[name] = true
	var out []fileAttr
	for _, b := range bk.targets[name] {
		if a := b.attr("inherits"); a != nil {
			if v, ok := s.eval(bk, fileAttr{b.file, a}); ok {
				for _, parent := range stringList(v) {
					out = append(out, s.attrs(bk, parent, depth+1, seen)...)
				}
			}
		}
		for _, a := range b.attrs {
			if a.name != "inherits" {
				out = append(out, fileAttr{b.file, a})
			}
		}
	}
	return out
}

// bakeTarget makes a Build of one target.
func (s *scanner) bakeTarget(c *stepCtx, bk *bakeDef, name string, blocks []fileBlock, how string) {
	b := Build{Pos: blocks[0].pos(), How: how}
	ctxDir, file := ".", "Dockerfile"
	ctxPos := b.Pos
	args := map[string]Value{}
	var argOrder []string
	for _, a := range s.attrs(bk, name, 0, map[string]bool{}) {
		p := a.pos()
		switch a.name {
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
		switch a.name {
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
				if x.kind == kNull {
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
			flag := strings.TrimSuffix(a.name, "s")
			if a.name == "contexts" {
				flag = "build-context"
			}
			if ignored[a.name] {
				continue
			}
			s.dropFlag(p, flag, a.name+" = "+strings.Join(stringList(v), ", "))
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
func (s *scanner) eval(bk *bakeDef, a fileAttr) (value, bool) {
	v, ok := a.expr.eval(bk.vars)
	if !ok {
		s.res.drop(a.pos(), a.name, "bake computes it (a function or another target's value): not evaluated")
	}
	return v, ok
}

// str is v as a string: numbers and bools as written, null empty, and
// a list or object in bake's syntax.
func str(v value) string {
	switch v.kind {
	case kNull:
		return ""
	case kList, kObject:
		return v.String()
	}
	return v.s
}

// stringList is v as strings: a list, an object's key=value, or a
// single value.
func stringList(v value) []string {
	var out []string
	switch v.kind {
	case kNull:
	case kObject:
		for k, e := range entries(v) {
			out = append(out, k+"="+str(e))
		}
	case kList:
		for _, e := range v.elems {
			out = append(out, str(e))
		}
	default:
		out = append(out, str(v))
	}
	return out
}

// entries are the keys and values of an object value, by key.
func entries(v value) iter.Seq2[string, value] {
	return func(yield func(string, value) bool) {
		for _, k := range slices.Sorted(maps.Keys(v.attrs)) {
			if !yield(k, v.attrs[k]) {
				return
			}
		}
	}
}
