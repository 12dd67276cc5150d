// Package cli is the bricklayer command line: flags, wiring, and the one
// place that prints errors and picks the exit code.
package cli
