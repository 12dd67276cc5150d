//go:build !benchfloor

package pipeline

// solveOnly is false but in the benchmark floor (see floor_bench.go).
const solveOnly = false
