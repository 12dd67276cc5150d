// Command ociindex prints the image indexes of an OCI layout and the
// platform and digest of each manifest, read with go-containerregistry.
package main

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ociindex LAYOUT-DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "ociindex:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		return err
	}
	top, err := p.ImageIndex()
	if err != nil {
		return err
	}
	tm, err := top.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range tm.Manifests {
		idx, err := top.ImageIndex(d.Digest)
		if err != nil {
			return fmt.Errorf("index %s: %w", d.Digest, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return err
		}
		fmt.Printf("index %s  %s\n", d.Digest, d.Annotations["io.containerd.image.name"])
		for _, m := range im.Manifests {
			if m.Platform != nil {
				fmt.Printf("  %-14s %s\n", m.Platform, m.Digest)
			}
		}
	}
	return nil
}
