// Package builderfile reads a builder file (bricklayer.builder.cue) into a
// builders.Builder; it is the one part of builders that needs CUE.
package builderfile
