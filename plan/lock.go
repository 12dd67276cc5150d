package plan

import (
	"context"

	"github.com/moby/buildkit/client/llb/sourceresolver"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

// Bases asks r for every base image of every image × platform of s, for
// each build platform a target can get: the default, and the target's
// own (a native runner's). A lock made from what r was asked covers
// every plan of s, on any runner.
func Bases(ctx context.Context, s *spec.Spec, r sourceresolver.ImageMetaResolver) error {
	if _, err := Make(ctx, s, Options{Resolver: r}); err != nil {
		return err
	}
	var own map[platform.Platform]platform.Platform
	for _, name := range s.ImageNames {
		for _, p := range s.Images[name].Platforms {
			if own == nil {
				own = map[platform.Platform]platform.Platform{}
			}
			own[p] = p
		}
	}
	if len(own) == 0 || onlyDefault(own) {
		return nil
	}
	_, err := Make(ctx, s, Options{Resolver: r, BuildPlatforms: own})
	return err
}

// onlyDefault says every target is of the default build platform, so a
// second plan would ask nothing new.
func onlyDefault(own map[platform.Platform]platform.Platform) bool {
	def := platform.Platform{OS: "linux", Architecture: "amd64"}
	for p := range own {
		if p != def {
			return false
		}
	}
	return true
}
