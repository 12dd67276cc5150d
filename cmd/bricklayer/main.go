// Command bricklayer compiles a bricklayer.cue build spec into BuildKit
// builds of multi-platform images.
package main

import (
	"os"

	"github.com/bricklayer-build/bricklayer/cmd/bricklayer/cli"
)

func main() { os.Exit(cli.Main()) }
