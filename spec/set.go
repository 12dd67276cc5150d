package spec

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
)

// Override is one --set IMAGE.FIELD=VALUE (or IMAGE.FIELD+=VALUE) of the
// command line, as docker buildx bake --set takes it. It replaces the
// field of every image IMAGE names (a name, or a pattern such as *), or
// appends to a list field, before the spec is checked: every check
// applies to the result. Values from the command line have positions in
// the pseudo file --set[N] (N counts the --set options from 0; the
// column is that of the value in the option), so an error about one reads
// --set[0]:1:11: images.api.tags[2]: message.
type Override struct {
	Flag   string // as given: api.tags+=edge
	Index  int
	Image  string   // a name or a path.Match pattern
	Field  []string // tags; args, KEY
	Append bool
	Value  string
	at     int // offset of Value in Flag
}

// OverrideError is a --set option that is malformed, or names no image
// or no field --set can set: a mistake of the command line.
type OverrideError struct {
	Flag string
	Msg  string
}

func (e *OverrideError) Error() string { return fmt.Sprintf("--set %q: %s", e.Flag, e.Msg) }

// Kind makes a bad --set a bad command line.
func (e *OverrideError) Kind() errkind.Kind { return errkind.Usage }

type setKind int

const (
	setString setKind = iota
	setList           // a comma-separated list; += appends
	setMap            // FIELD.KEY=VALUE sets one entry
)

// setFields are the image fields --set can set.
var setFields = map[string]setKind{
	"repository": setString, "context": setString, "dockerfile": setString,
	"target": setString, "from": setString, "workdir": setString, "user": setString,
	"platforms": setList, "tags": setList,
	"args": setMap, "labels": setMap, "env": setMap, "annotations": setMap,
}

// SetFields lists the fields --set can set, for help texts.
func SetFields() []string { return SortedKeys(setFields) }

// ParseOverride parses the index-th --set option s. The image name is
// what comes before the first field name --set knows (image names may
// hold dots); a map field's key is the rest (labels.org.opencontainers.
// image.title).
func ParseOverride(index int, s string) (Override, error) {
	o := Override{Flag: s, Index: index}
	bad := func(format string, args ...any) (Override, error) {
		return Override{}, &OverrideError{Flag: s, Msg: fmt.Sprintf(format, args...)}
	}
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		return bad("want IMAGE.FIELD=VALUE or IMAGE.FIELD+=VALUE")
	}
	o.Value, o.at = value, len(key)+1
	if k, ok := strings.CutSuffix(key, "+"); ok {
		key, o.Append = k, true
	}
	parts := strings.Split(key, ".")
	fi := -1
	for i := 1; i < len(parts); i++ {
		if _, ok := setFields[parts[i]]; ok {
			fi = i
			break
		}
	}
	if fi < 0 {
		return bad("want IMAGE.FIELD with FIELD one of %s", strings.Join(SetFields(), ", "))
	}
	o.Image = strings.Join(parts[:fi], ".")
	if _, err := path.Match(o.Image, ""); err != nil || o.Image == "" {
		return bad("%q is not an image name or pattern", o.Image)
	}
	field := parts[fi]
	o.Field = []string{field}
	switch kind := setFields[field]; {
	case kind == setMap && fi+1 >= len(parts):
		return bad("want IMAGE.%s.KEY=VALUE", field)
	case kind == setMap:
		o.Field = append(o.Field, strings.Join(parts[fi+1:], "."))
	case fi+1 < len(parts):
		return bad("%s has no field %s", field, strings.Join(parts[fi+1:], "."))
	}
	if o.Append && setFields[field] != setList {
		return bad("+= appends to a list: tags or platforms, not %s", field)
	}
	return o, nil
}

// WithOverrides applies --set options to the spec before it is checked.
func WithOverrides(ovs ...Override) Option {
	return func(o *options) { o.overrides = append(o.overrides, ovs...) }
}

// applyOverrides returns the user's value with ovs applied. CUE
// unification never overwrites a value, so each struct on the way to an
// overridden field is made anew from its other fields and the new value.
func applyOverrides(ctx *cue.Context, user cue.Value, ovs []Override) (cue.Value, error) {
	for _, o := range ovs {
		var names []string
		fields(lookup(user, "images"), func(name string, _ cue.Value) {
			if ok, _ := path.Match(o.Image, name); ok {
				names = append(names, name)
			}
		})
		if len(names) == 0 {
			var all []string
			fields(lookup(user, "images"), func(name string, _ cue.Value) { all = append(all, name) })
			return user, &OverrideError{Flag: o.Flag, Msg: fmt.Sprintf("no image of the spec is %s (its images: %s)", o.Image, strings.Join(all, ", "))}
		}
		for _, name := range names {
			sels := []cue.Selector{cue.Str("images"), cue.Str(name)}
			for _, f := range o.Field {
				sels = append(sels, cue.Str(f))
			}
			nv := o.value(ctx, user.LookupPath(cue.MakePath(sels...)))
			user = replaceAt(ctx, user, sels, nv)
		}
	}
	return user, nil
}

// value is the new value of the field, whose old value is old.
func (o Override) value(ctx *cue.Context, old cue.Value) cue.Value {
	file := token.NewFile("--set["+strconv.Itoa(o.Index)+"]", -1, len(o.Flag)+1)
	lit := func(s string, offset int) cue.Value {
		return ctx.BuildExpr(&ast.BasicLit{ValuePos: file.Pos(offset, token.NoRelPos), Kind: token.STRING, Value: strconv.Quote(s)})
	}
	if setFields[o.Field[0]] != setList {
		return lit(o.Value, o.at)
	}
	var list []cue.Value
	if o.Append {
		elems(old, func(_ int, ev cue.Value) { list = append(list, ev) })
	}
	if o.Value != "" {
		offset := o.at
		for _, e := range strings.Split(o.Value, ",") {
			list = append(list, lit(e, offset))
			offset += len(e) + 1
		}
	}
	return ctx.NewList(list...)
}

// replaceAt returns v with the value at path replaced by nv: the structs
// on the way are made anew from their other fields.
func replaceAt(ctx *cue.Context, v cue.Value, path []cue.Selector, nv cue.Value) cue.Value {
	if len(path) == 0 {
		return nv
	}
	out := ctx.CompileString("{}")
	name := selString(path[0])
	done := false
	fields(v, func(f string, fv cue.Value) {
		p := cue.MakePath(cue.Str(f))
		if f == name {
			fv, done = replaceAt(ctx, fv, path[1:], nv), true
		}
		out = out.FillPath(p, fv)
	})
	if !done {
		out = out.FillPath(cue.MakePath(path[0]), replaceAt(ctx, cue.Value{}, path[1:], nv))
	}
	return out
}
