package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"cuelang.org/go/cue"
	"cuelang.org/go/encoding/yaml"

	"github.com/bricklayer-build/bricklayer/ref"
)

// Export is the evaluated spec, as JSON (indented) or YAML ("yaml"): the
// file's values after --set, unified with the schema (its defaults filled
// in, hidden fields and definitions left out), with build, the build
// context, and for each image what it resolves to for this build:
// platforms (the image's own or the top-level ones, normalized), tags
// (its own and those its policy yields), aliasTags (their aliases) and
// references (repository:tag for each of them).
func (s *Spec) Export(format string) ([]byte, error) {
	if !s.value.Exists() {
		return nil, fmt.Errorf("internal error: no evaluated spec to export")
	}
	v := s.value.Unify(s.schema)
	var images []field
	userImages := lookup(s.user, "images")
	fields(lookup(v, "images"), func(name string, iv cue.Value) {
		im := s.Images[name]
		if im == nil {
			return
		}
		plats := make([]string, len(im.Platforms))
		for i, p := range im.Platforms {
			plats[i] = p.String()
		}
		refs := []string{}
		for _, repo := range im.Repositories {
			for _, t := range im.AllTags() {
				refs = append(refs, ref.Tagged(repo, t))
			}
		}
		images = append(images, field{name, withFields(iv, lookup(userImages, name), []field{
			{"platforms", jsonOf(plats)},
			{"tags", jsonOf(nonNil(im.Tags))},
			{"aliasTags", jsonOf(nonNil(im.AliasTags))},
			{"references", jsonOf(refs)},
		})})
	})
	build, err := json.Marshal(s.Build) // a nil version is null
	if err != nil {
		return nil, err
	}
	dt := withFields(v, s.user, []field{{"images", object(images)}, {"build", build}})
	if format == "yaml" {
		y := v.Context().CompileBytes(dt)
		if err := y.Err(); err != nil {
			return nil, fmt.Errorf("internal error: exporting the spec: %w", err)
		}
		return yaml.Encode(y)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, dt, "", "  "); err != nil {
		return nil, fmt.Errorf("internal error: exporting the spec: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// field is a field of a JSON object being made.
type field struct {
	name  string
	value json.RawMessage
}

// withFields is the struct v as a JSON object in the order of the file
// (see ordered), with the values of fs replacing those of the same name
// in place and the others added at the end.
func withFields(v, user cue.Value, fs []field) json.RawMessage {
	byName := map[string]json.RawMessage{}
	for _, f := range fs {
		byName[f.name] = f.value
	}
	var out []field
	for _, name := range fieldOrder(v, user) {
		if nv, ok := byName[name]; ok {
			out = append(out, field{name, nv})
			delete(byName, name)
			continue
		}
		out = append(out, field{name, ordered(lookup(v, name), lookup(user, name))})
	}
	for _, f := range fs {
		if _, ok := byName[f.name]; ok {
			out = append(out, f)
		}
	}
	return object(out)
}

// ordered is v as JSON with every struct's fields in the order the file
// (user, v's part in it) has them, as cue export keeps them, then those
// only the schema gave; unification would put the schema's order first.
func ordered(v, user cue.Value) json.RawMessage {
	v, _ = v.Default()
	switch v.IncompleteKind() {
	case cue.StructKind:
		var out []field
		for _, name := range fieldOrder(v, user) {
			out = append(out, field{name, ordered(lookup(v, name), lookup(user, name))})
		}
		return object(out)
	case cue.ListKind:
		var items []json.RawMessage
		elems(v, func(i int, ev cue.Value) {
			items = append(items, ordered(ev, user.LookupPath(cue.MakePath(cue.Index(i)))))
		})
		return array(items)
	}
	dt, err := v.MarshalJSON()
	if err != nil {
		return jsonOf(err.Error()) // not reached: the spec is valid
	}
	return dt
}

// fieldOrder is the regular fields of v: those of user first, in its
// order, then the rest in v's.
func fieldOrder(v, user cue.Value) []string {
	var all, out []string
	fields(v, func(name string, _ cue.Value) { all = append(all, name) })
	fields(user, func(name string, _ cue.Value) {
		if slices.Contains(all, name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	})
	for _, name := range all {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// array is the JSON array of items.
func array(items []json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// object is the JSON object of fs, in their order.
func object(fs []field) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(jsonOf(f.name))
		b.WriteByte(':')
		b.Write(f.value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func jsonOf(x any) json.RawMessage {
	dt, _ := json.Marshal(x) // strings and lists of them
	return dt
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
