package spec

import (
	"cuelang.org/go/cue"
)

// imageCacheHint reports an image's cache written as the top level's
// (cache: to: [...]): CUE alone would say "mismatched types struct and
// bool", which tells the user neither what an image's cache is nor where
// the entries go. Images share the top-level entries, each kept apart
// per image and platform, so a switch is all an image needs.
func imageCacheHint(v, user cue.Value, errs *errorList) bool {
	sels := v.Path().Selectors()
	if len(sels) != 3 || selString(sels[0]) != "images" || selString(sels[2]) != "cache" {
		return false
	}
	uv := user.LookupPath(v.Path())
	if uv.IncompleteKind() != cue.StructKind {
		return false
	}
	if errs.explained == nil {
		errs.explained = map[string]bool{}
	}
	errs.explained[v.Path().String()] = true // as CUE spells the path of its errors
	errs.at(userLoc(user, v), "an image's cache is true or false (false: it neither imports nor exports build cache); where the cache goes is the top level's cache: {to: [...], from: [...]}, kept apart per image and platform")
	return true
}
