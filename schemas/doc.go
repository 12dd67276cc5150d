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

// Builder is the schema of a builder file (bricklayer.builder.cue);
// #Builder is the definition the file must satisfy.
//
//go:embed builder.cue
var Builder string

// BuilderFileName is the pseudo file name the builder schema is compiled
// under.
const BuilderFileName = "bricklayer-builder-schema.cue"
