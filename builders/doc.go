// Package builders knows the BuildKit daemons a build runs on: nodes and
// their addresses, connecting, routing each platform to a node, and the
// lifecycle of a local daemon (bootstrap, stop, inspect); builderfile reads
// a builder file into its types.
package builders
