//go:build benchfloor

package pipeline

// solveOnly, in a binary built with -tags benchfloor, makes a push stop
// once BuildKit has solved, exported and pushed each image's platforms:
// no index of ours, no tag moved. It is not bricklayer, but the part of a
// build that is BuildKit's and the registry's alone, which
// hack/bench-build-scale.sh runs beside bricklayer and bake to show how
// close to that floor the rest comes (the same exports bake asks for).
const solveOnly = true
