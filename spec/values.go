package spec

import (
	"sort"

	"cuelang.org/go/cue"
)

// Helpers that read decoded values tolerantly: a value of the wrong type
// was already reported by the schema, so they return zero values instead
// of a second error.

func lookup(v cue.Value, name string) cue.Value {
	return v.LookupPath(cue.MakePath(cue.Str(name)))
}

func has(v cue.Value, name string) bool {
	return lookup(v, name).Exists()
}

// fields calls f for every regular field of the struct v, in file order.
func fields(v cue.Value, f func(name string, fv cue.Value)) {
	if !v.Exists() {
		return
	}
	it, err := v.Fields()
	if err != nil {
		return
	}
	for it.Next() {
		f(selString(it.Selector()), it.Value())
	}
}

// elems calls f for every element of the list v.
func elems(v cue.Value, f func(i int, ev cue.Value)) {
	if !v.Exists() {
		return
	}
	it, err := v.List()
	if err != nil {
		return
	}
	for i := 0; it.Next(); i++ {
		f(i, it.Value())
	}
}

func str(v cue.Value) string {
	s, _ := v.Default()
	r, _ := s.String()
	return r
}

func boolean(v cue.Value) bool {
	b, _ := v.Bool()
	return b
}

func strMap(v cue.Value) map[string]string {
	if !v.Exists() {
		return nil
	}
	m := map[string]string{}
	fields(v, func(name string, fv cue.Value) { m[name] = str(fv) })
	return m
}

// strOrList reads a `string | [...string]` field: a string comes back as
// one element with shell set.
func strOrList(v cue.Value) (list []string, shell bool) {
	if v.IncompleteKind() == cue.StringKind {
		return []string{str(v)}, true
	}
	elems(v, func(_ int, ev cue.Value) { list = append(list, str(ev)) })
	return list, false
}

func strList(v cue.Value) []string {
	var out []string
	elems(v, func(_ int, ev cue.Value) { out = append(out, str(ev)) })
	return out
}

// SortedKeys returns the keys of m in order, so nothing downstream
// depends on Go's map iteration order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
