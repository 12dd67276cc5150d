package spec

import (
	"sort"

	"cuelang.org/go/cue"
)

// Helpers that walk CUE values tolerantly: a value of the wrong type
// was already reported by the schema, so they return zero values instead
// of a second error.

func lookup(v cue.Value, name string) cue.Value {
	return v.LookupPath(cue.MakePath(cue.Str(name)))
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
