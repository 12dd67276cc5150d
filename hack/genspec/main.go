// Command genspec writes a synthetic bricklayer.cue of N images to
// stdout, for hack/bench.sh.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/bricklayer-build/bricklayer/internal/specgen"
)

func main() {
	n, err := strconv.Atoi(os.Args[len(os.Args)-1])
	if len(os.Args) != 2 || err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "usage: genspec N")
		os.Exit(2)
	}
	os.Stdout.Write(specgen.Generate(n))
}
