package spec

import (
	"regexp"
	"sync"

	"cuelang.org/go/cue"
)

// nameRE is the schema's #Name.
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`) })

// isNameMap tells the structs whose field names are names of images or
// stages (images, stages, images.X.stages).
func isNameMap(v cue.Value) bool {
	sels := v.Path().Selectors()
	if len(sels) == 0 {
		return false
	}
	last := selString(sels[len(sels)-1])
	return (last == "images" || last == "stages") && (len(sels) == 1 || len(sels) == 3)
}

// schemaErrors walks v, the spec unified with the schema, and records
// every error in it. cue.Value.Validate stops at the first error of a
// struct (a mistake in one step hides an unknown field beside it); a user
// fixing a file wants all of them at once. user is the spec before
// unification: positions are taken from it, so errors point into the
// user's file rather than into the schema. schema is the definition that
// applies at v: unknown fields are checked against it, because the
// unified struct allows whatever it already holds.
func schemaErrors(v, schema, user, top cue.Value, errs *errorList) {
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		errs.add(v.Validate(cue.Concrete(true)))
		return
	}
	for it.Next() {
		sel := it.Selector()
		fv := it.Value()
		ft := it.FieldType()
		switch {
		case ft&cue.IndexLabel != 0:
			// A list element: lists have no closedness to check.
		case ft&cue.OptionalConstraint != 0:
			continue
		case ft&cue.RequiredConstraint != 0:
			errs.at(userLoc(user, v).child(selString(sel)), "field is required but not present")
			continue
		case schema.Exists() && !schema.Allows(sel):
			if isNameMap(v) && !nameRE().MatchString(selString(sel)) {
				errs.at(userLoc(user, fv), "invalid name %q: a name is lower-case letters, digits, '.', '_' and '-', starting with a letter or digit", selString(sel))
			} else {
				errs.at(userLoc(user, fv), "field not allowed")
			}
			continue
		}
		if imageCacheHint(fv, user, errs) {
			continue
		}
		schemaErrors(fv, schemaAt(schema, sel, ft, top), user, top, errs)
	}
	if v.Kind() != cue.StructKind && v.Kind() != cue.ListKind {
		errs.add(v.Validate(cue.Concrete(true)))
	}
}

// userLoc is where v, a value of the unified spec, is in the user's file.
func userLoc(user, v cue.Value) loc {
	l := locOf(v)
	if uv := user.LookupPath(v.Path()); uv.Exists() && uv.Pos().IsValid() {
		l.pos = uv.Pos()
	}
	return l
}

// schemaAt is the schema of the field sel of a value whose schema is s: a
// field of s (regular, optional or required), or what the pattern
// constraints of s give a field of that name. top is CUE's _, to add a
// field with.
func schemaAt(s cue.Value, sel cue.Selector, ft cue.SelectorType, top cue.Value) cue.Value {
	if !s.Exists() {
		return s
	}
	if ft&cue.IndexLabel != 0 {
		return s.LookupPath(cue.MakePath(cue.AnyIndex))
	}
	for _, c := range []cue.Selector{sel, sel.Optional(), sel.Required()} {
		if f := s.LookupPath(cue.MakePath(c)); f.Exists() {
			return f
		}
	}
	if f := s.LookupPath(cue.MakePath(cue.AnyString)); f.Exists() {
		return f
	}
	// A pattern such as [#Name]: #Image: add the field to find what the
	// patterns make of it.
	p := cue.MakePath(sel)
	return s.FillPath(p, top).LookupPath(p)
}
