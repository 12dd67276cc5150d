package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bricklayer-build/bricklayer/engine"
	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/solve"
	"github.com/bricklayer-build/bricklayer/spec"
)

// loadOptions sets up build --load: the one platform to load (the
// --platform given, else the Docker host's) and the Docker daemon to load
// it into, which the caller closes. Without --push or --output only that
// platform is built.
func (c *CLI) loadOptions(ctx context.Context, s *spec.Spec, po *plan.Options, o *pipeline.Options, cfg *solve.Config, output bool) (*engine.Client, error) {
	if len(po.Platforms) > 1 {
		return nil, usageErrorf("build: --load loads one platform into Docker, and --platform names %s: pick one with --platform", platform.Join(po.Platforms))
	}
	d, err := engine.New()
	if err != nil {
		return nil, &noDaemon{err: err}
	}
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("build --load: %w", err)
	}
	if len(po.Platforms) == 1 {
		o.Load = &po.Platforms[0]
	} else {
		host, err := d.Platform(ctx)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("build --load: %w", err)
		}
		names, err := plan.SelectImages(s, po.Images)
		if err != nil {
			d.Close()
			return nil, err
		}
		var others []string
		for _, n := range names {
			if ps := s.Images[n].Platforms; !slices.Contains(ps, host) {
				others = append(others, fmt.Sprintf("%s builds %s", n, platform.Join(ps)))
			}
		}
		if len(others) > 0 {
			d.Close()
			return nil, usageErrorf("build: --load loads one platform, by default the Docker host's (%s), and %s: pick one with --platform", host, strings.Join(others, "; "))
		}
		o.Load = &host
		if !o.Push && !output {
			po.Platforms = []platform.Platform{host}
		}
	}
	cfg.Loader = d
	return d, nil
}
