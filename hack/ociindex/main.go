// Command ociindex prints the image indexes of an OCI layout and the
// platform and digest of each manifest, read with go-containerregistry
// (internal/ociread), not with bricklayer's own reader.
package main

import (
	"fmt"
	"os"

	"github.com/bricklayer-build/bricklayer/internal/ociread"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ociindex LAYOUT-DIR")
		os.Exit(2)
	}
	idxs, err := ociread.Read(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "ociindex:", err)
		os.Exit(1)
	}
	for _, idx := range idxs {
		fmt.Printf("index %s  %s\n", idx.Desc.Digest, idx.Desc.Annotations["io.containerd.image.name"])
		for _, m := range idx.Manifests {
			if m.Platform != nil {
				fmt.Printf("  %-14s %s\n", m.Platform, m.Digest)
			}
		}
	}
}
