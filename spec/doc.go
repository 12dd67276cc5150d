// Package spec loads a bricklayer.cue file, checks it against the embedded
// schema and the rules CUE cannot express, and decodes it into plain Go values.
package spec
