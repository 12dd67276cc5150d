// Package builders knows the BuildKit daemons a build runs on: builder
// files and --node flags, addresses, connecting, routing each platform to
// a node, and the lifecycle of a local daemon (bootstrap, stop, inspect).
package builders
