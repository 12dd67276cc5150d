// Command genspec writes a synthetic bricklayer.cue of N images to
// stdout, for hack/bench.sh and hack/bench-scale.sh; with -bake, a
// docker buildx bake file of the same images.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/bricklayer-build/bricklayer/internal/specgen"
)

func main() {
	bake := flag.Bool("bake", false, "write a bake file (HCL) of the same images instead")
	flag.Parse()
	n, err := strconv.Atoi(flag.Arg(0))
	if flag.NArg() != 1 || err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "usage: genspec [-bake] N")
		os.Exit(2)
	}
	if *bake {
		os.Stdout.Write(specgen.GenerateBake(n))
		return
	}
	os.Stdout.Write(specgen.Generate(n))
}
