// Package solve builds an image's platforms on BuildKit: a builder of one
// or more nodes, each platform on the node that takes it, the platforms
// of one node in one session. Pushing by digest, OCI layouts and cache
// are options of a solve.
package solve
