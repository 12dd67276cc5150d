// Package builders knows the BuildKit daemons a build runs on: nodes and
// their addresses, connecting, routing each platform to a node, and the
// drivers that bootstrap, inspect and stop one daemon (Driver: a local
// buildkitd, or BuildKit in a Docker container) with the QEMU its
// platforms need; builderfile reads a builder file into its types.
package builders
