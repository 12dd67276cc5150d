package compose

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/compose-spec/compose-go/v2/consts"
	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/override"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/transform"
	"github.com/compose-spec/compose-go/v2/tree"
	yaml4 "go.yaml.in/yaml/v4"
)

// projectName stands for the project's name in COMPOSE_PROJECT_NAME. compose
// takes it from the directory or the command line; both files compared get
// the same one.
const projectName = "bricklayer-compose"

// readModel is src as compose reads it, far enough to tell whether two
// files are the same deployment: the data of each YAML document (anchors,
// aliases and merge keys expanded by the YAML library compose-go uses),
// interpolated with vars unless vars is nil (numbers and booleans typed),
// x-develop and x-initialSync taken for the attributes they stand for,
// the documents merged as compose merges them, short syntax made long
// (transform.Canonical) and defaults set (transform.SetDefaultValues),
// with compose-go's own packages, in the order compose-go's loader
// applies them.
//
// It stops there, so two files it reads the same are the same to compose:
// what compose does afterwards (normalization, the environment of
// services) is a function of this model and of the environment, which
// are the same for both. Where that step would make two models the same
// (links are depends_on, a build's dockerfile is Dockerfile unless said),
// the comparison is stricter than compose.
//
// It refuses, with the place, what makes compose read more than the file
// or follow rules it does not: the !reset and !override tags; a
// service's extends and a top-level include, which read other services or
// files; a merge key naming a list through an alias (<<: *list, which
// compose-go's loader reads and its YAML library does not); an anchor used
// both at a place and inside it (compose-go's cycle check); and a document
// of more than MaxNodes nodes once its aliases are expanded. Those errors
// wrap errUnsupported. No file beyond src is read: env_file, label_file,
// build contexts and paths stay as written.
func readModel(src []byte, vars map[string]string) (m map[string]any, err error) {
	// compose-go's transforms assert the types its schema would have
	// checked (networks: [1] panics): the file is wrong, not bricklayer.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("compose-go fails on it (a value of the wrong type?): %v", r)
		}
	}()
	var opts *interp.Options
	if vars != nil {
		opts = interpolation(vars)
	}
	model := map[string]any{}
	dec := yaml4.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml4.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parsing YAML: %w", err)
		}
		if model, err = addDocument(model, &doc, opts); err != nil {
			return nil, err
		}
	}
	model, err = transform.SetDefaultValues(model)
	if err != nil {
		return nil, err
	}
	if len(model) == 0 {
		return nil, errors.New("empty compose file")
	}
	return model, nil
}

// interpolation is how compose substitutes variables, with vars as the
// environment, quietly, giving the attributes that are numbers or
// booleans their type.
func interpolation(vars map[string]string) *interp.Options {
	env := make(map[string]string, len(vars)+1)
	for k, v := range vars {
		env[k] = v
	}
	env[consts.ComposeProjectName] = projectName
	return &interp.Options{
		LookupValue: func(name string) (string, bool) {
			v, ok := env[name]
			return v, ok
		},
		TypeCastMapping: casts(),
		Substitute: func(s string, m template.Mapping) (string, error) {
			return template.SubstituteWithOptions(s, m, template.WithoutLogging)
		},
	}
}

// addDocument merges one YAML document into model.
func addDocument(model map[string]any, doc *yaml4.Node, opts *interp.Options) (map[string]any, error) {
	if err := checkDocument(doc); err != nil {
		return nil, err
	}
	var raw any
	if err := doc.Decode(&raw); err != nil {
		return nil, err
	}
	data, err := plainData(raw)
	if err != nil {
		return nil, err
	}
	cfg, ok := data.(map[string]any)
	if !ok {
		return nil, errors.New("top-level object must be a mapping")
	}
	if opts != nil {
		if cfg, err = interp.Interpolate(cfg, *opts); err != nil {
			return nil, err
		}
	}
	if err := adoptExtensions(cfg); err != nil {
		return nil, err
	}
	if model, err = override.Merge(model, cfg); err != nil {
		return nil, err
	}
	if model, err = override.EnforceUnicity(model); err != nil {
		return nil, err
	}
	// Without interpolation a value such as "${PORT}:80" cannot be parsed
	// yet, and is left as written.
	if model, err = transform.Canonical(model, opts == nil); err != nil {
		return nil, err
	}
	if err := dropEmptyDNS(model); err != nil {
		return nil, err
	}
	// Long syntax can show duplicates the short one hid (a port range).
	return override.EnforceUnicity(model)
}

// checkDocument refuses what readModel does not read (see there), at the
// node where it is.
func checkDocument(doc *yaml4.Node) error {
	x := newExpansion(v4Ops)
	x.node = func(n *yaml4.Node) error {
		switch n.Tag {
		case "!reset", "!override":
			return refuse(n.Line, n.Column, "%s is not supported: bricklayer compares compose files without !reset and !override", n.Tag)
		}
		return nil
	}
	x.key = func(k *yaml4.Node, at *place) error {
		switch {
		case at.depth == 0 && k.Value == "include":
			return refuse(k.Line, k.Column, "include is not supported: bricklayer compares compose files that do not read other files")
		case (at.under("services", 2) || at.under("jobs", 2)) && k.Value == "extends":
			return refuse(k.Line, k.Column, "extends is not supported: bricklayer compares compose files whose services do not extend others")
		}
		return nil
	}
	uses := map[*yaml4.Node]*anchorUses{}
	x.use = func(alias, target *yaml4.Node, at *place) error {
		u := uses[target]
		if u == nil {
			u = &anchorUses{at: map[*place]bool{}, above: map[*place]bool{}}
			uses[target] = u
		}
		if u.add(at) {
			return nil
		}
		return refuse(alias.Line, alias.Column, "anchor &%s is used both at a place and inside it, which compose-go takes for a cycle", target.Anchor)
	}
	x.mergeAlias = func(alias, target *yaml4.Node) error {
		if target.Kind == yaml4.SequenceNode {
			return refuse(alias.Line, alias.Column, "a merge key naming a list through an alias is not supported: write the list in place (<<: [*a, *b])")
		}
		return nil
	}
	return x.walk(doc, &place{})
}

// anchorUses are the places where one anchor is used through aliases: at,
// and above (every place a use is below).
type anchorUses struct{ at, above map[*place]bool }

// add records a use at p, unless it is below or above another use (the
// same place is fine: <<: [*a, *a]). compose-go refuses that as a cycle
// even where it is none (an anchor merged into a service and used again
// in it), so bricklayer refuses it too.
func (u *anchorUses) add(p *place) bool {
	if u.at[p] {
		return true
	}
	if u.above[p] {
		return false
	}
	for a := p.parent; a != nil; a = a.parent {
		if u.at[a] {
			return false
		}
	}
	u.at[p] = true
	// Once a place is marked, so are the ones above it.
	for a := p.parent; a != nil && !u.above[a]; a = a.parent {
		u.above[a] = true
	}
	return true
}

// plainData checks that every mapping of decoded YAML has string keys, as
// compose wants, and makes each empty list an empty (not nil) one, as
// compose has it.
func plainData(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			c, err := plainData(e)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
	case map[any]any:
		// The YAML library makes one of a key it did not resolve as a
		// string (1:, ~:, !custom k:); compose takes the keys that are
		// strings after all.
		m := make(map[string]any, len(x))
		for k, e := range x {
			s, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("non-string key %#v", k)
			}
			c, err := plainData(e)
			if err != nil {
				return nil, err
			}
			m[s] = c
		}
		return m, nil
	case []any:
		if x == nil {
			return []any{}, nil
		}
		for i, e := range x {
			c, err := plainData(e)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
	}
	return v, nil
}

// adoptExtensions renames in one document the x- extensions compose read
// before the specification adopted their attribute: x-develop of a
// service is its develop, x-initialSync of a develop.watch item its
// initial_sync. Where both are set, compose merges the extension under the
// attribute, the attribute winning. Paths are compose-go's tree paths, so
// a top-level key with a dot matches as it does in compose-go.
func adoptExtensions(doc map[string]any) error {
	_, err := eachAt(doc, tree.NewPath(), 5, func(p tree.Path, v any) (any, error) {
		m, ok := v.(map[string]any)
		if !ok {
			return v, nil
		}
		from, to := "", ""
		switch {
		case p.Matches("services.*"):
			from, to = "x-develop", "develop"
		case p.Matches("services.*.develop.watch.[]"):
			from, to = "x-initialSync", "initial_sync"
		default:
			return v, nil
		}
		ext, ok := m[from]
		if !ok {
			return v, nil
		}
		delete(m, from)
		if m[to] == nil {
			m[to] = ext
			return v, nil
		}
		merged, err := override.MergeYaml(ext, m[to], p.Next(to))
		if err != nil {
			return nil, err
		}
		m[to] = merged
		return v, nil
	})
	return err
}

// dropEmptyDNS drops the null and empty items of services' and jobs' dns,
// as compose does after each document.
func dropEmptyDNS(model map[string]any) error {
	_, err := eachAt(model, tree.NewPath(), 3, func(p tree.Path, v any) (any, error) {
		if !p.Matches("services.*.dns") && !p.Matches("jobs.*.dns") {
			return v, nil
		}
		empty := func(e any) bool { return e == nil || e == "" }
		switch x := v.(type) {
		case []any:
			kept := make([]any, 0, len(x))
			for _, e := range x {
				if !empty(e) {
					kept = append(kept, e)
				}
			}
			return kept, nil
		case map[string]any:
			for k, e := range x {
				if empty(e) {
					delete(x, k)
				}
			}
		}
		return v, nil
	})
	return err
}

// eachAt replaces v, at path p, and every value below it down to depth
// path elements, with what fn makes of it: a value before what is below
// it, list items at the path element [].
func eachAt(v any, p tree.Path, depth int, fn func(tree.Path, any) (any, error)) (any, error) {
	v, err := fn(p, v)
	if err != nil || len(p.Parts()) >= depth && p != "" {
		return v, err
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if x[k], err = eachAt(e, p.Next(k), depth, fn); err != nil {
				return nil, err
			}
		}
	case []any:
		for i, e := range x {
			if x[i], err = eachAt(e, p.Next(tree.PathMatchList), depth, fn); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}
