// Package schemas embeds the CUE schema every bricklayer.cue is unified with.
package schemas

import _ "embed"

// Source is the text of bricklayer.cue's schema; #Spec is the definition
// a spec file must satisfy.
//
//go:embed bricklayer.cue
var Source string

// FileName is the pseudo file name the schema is compiled under, so that
// positions inside the schema are told apart from the user's.
const FileName = "bricklayer-schema.cue"
