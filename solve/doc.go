// Package solve builds one image for one platform at a time on BuildKit:
// a builder of one or more nodes, each platform on the node that takes
// it. Pushing by digest, OCI layouts and cache are options of a solve.
package solve
