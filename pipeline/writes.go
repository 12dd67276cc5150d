package pipeline

import (
	"fmt"
	"slices"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/spec"
)

// CheckWrites tells, before anything is built, whether what a run of
// opts writes on this machine can be written: each OCI layout (Output)
// and each local cache export. Found only after the push, a path that
// cannot be written would fail a run whose images are already out.
func CheckWrites(s *spec.Spec, sel []string, plats []platform.Platform, opts Options) error {
	if opts.Output != nil {
		names, err := plan.SelectImages(s, sel)
		if err != nil {
			return err
		}
		var images []string
		for _, n := range names {
			if len(plats) == 0 || slices.ContainsFunc(s.Images[n].Platforms, func(p platform.Platform) bool { return slices.Contains(plats, p) }) {
				images = append(images, n)
			}
		}
		for _, name := range images {
			dest := destFor(*opts.Output, name, len(images) > 1)
			if err := publish.CheckLayout(dest, opts.Output.Tar); err != nil {
				return fmt.Errorf("image %s: OCI layout: %w", name, err)
			}
		}
	}
	for _, c := range opts.CacheTo {
		if d := c.Attrs["dest"]; c.Type == "local" && d != "" {
			if err := safefile.CheckCreate(d, true); err != nil {
				return fmt.Errorf("cache export type=local: %w", err)
			}
		}
	}
	return nil
}
