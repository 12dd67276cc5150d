package spec

import (
	"cuelang.org/go/cue"
)

// validPieces tells whether user & #Spec is valid without unifying the
// whole: the top-level fields are checked with images and stages left
// empty, then each image and stage against #Image or #Stage on its own,
// so one entry's unified graph is live at a time (a spec of 400 images
// unified whole holds about four times its own evaluated size). It may
// say no for a valid spec, and the caller then unifies the whole; it
// never says yes for an invalid one (TestValidPiecesNeverLaxer).
func validPieces(ctx *cue.Context, schema, user cue.Value) bool {
	// Errors in hidden fields and definitions, which the schema does not
	// reach but a whole Validate reports.
	if user.Validate() != nil {
		return false
	}
	it, err := user.Fields(cue.Optional(true))
	if err != nil {
		return false
	}
	rest := ctx.CompileString("images: {}")
	// Each image or stage, and the definition it must satisfy.
	type entry struct{ v, def cue.Value }
	var entries []entry
	sawImages := false
	for it.Next() {
		if it.FieldType() != cue.StringLabel {
			return false
		}
		sel, v := it.Selector(), it.Value()
		switch name := sel.String(); name {
		case "images", "stages":
			sawImages = sawImages || name == "images"
			def := schema.LookupPath(cue.MakePath(cue.Def(map[string]string{"images": "#Image", "stages": "#Stage"}[name])))
			ok := eachEntry(v, func(label string, ev cue.Value) bool {
				if !nameRE().MatchString(label) {
					return false
				}
				entries = append(entries, entry{ev, def})
				return true
			})
			if !ok {
				return false
			}
		default:
			rest = rest.FillPath(cue.MakePath(sel), v)
		}
	}
	if !sawImages {
		return false
	}
	def := schema.LookupPath(cue.MakePath(cue.Def("#Spec")))
	if rest.Unify(def).Validate(cue.Concrete(true)) != nil {
		return false
	}
	for _, e := range entries {
		if e.v.Unify(e.def).Validate(cue.Concrete(true)) != nil {
			return false
		}
	}
	return true
}

// eachEntry calls f with each regular field of the struct v; false when v
// is not a struct, has a field of another kind, or f says false.
func eachEntry(v cue.Value, f func(label string, v cue.Value) bool) bool {
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return false
	}
	for it.Next() {
		if it.FieldType() != cue.StringLabel || !f(it.Selector().Unquoted(), it.Value()) {
			return false
		}
	}
	return true
}
