package llbgen

import (
	"context"
	"testing"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

// stepPaths lowers image for the platform plat and returns, for each exec op, the
// step path its source-map location resolves to (as the progress code
// does for a failing step), in graph order.
func stepPaths(t *testing.T, s *spec.Spec, image, plat string) []string {
	t.Helper()
	p, err := platform.Parse(plat)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := New(s, Options{}).Lower(context.Background(), image, p)
	if err != nil {
		t.Fatal(err)
	}
	def, err := tg.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	g := lower(t, s, image, plat, Options{})
	var out []string
	for _, d := range g.order {
		if g.ops[d].GetExec() == nil {
			continue
		}
		path := ""
		if def.Source != nil {
			if locs := def.Source.Locations[d.String()]; locs != nil && len(locs.Locations) > 0 {
				r := locs.Locations[0].Ranges[0]
				path = s.StepAt(int(r.Start.Line), int(r.Start.Character))
			}
		}
		out = append(out, path)
	}
	return out
}

// A step keeps its place in the spec on every platform, those with a
// platform: override included, so a failure on the daemon points at it.
func TestVariantStepPositions(t *testing.T) {
	s := load(t, `
platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/amd64/v2"]
images: app: {
	repository: "example.com/app"
	from:       "debian:bookworm"
	args: {CLI_ARCH: *"amd64" | string}
	steps: [{run: "install $CLI_ARCH"}, {run: "echo cue-\(args.CLI_ARCH)"}]
	platform: "linux/arm": args: CLI_ARCH: "arm"
	platform: "linux/arm64": steps: [{}, {network: "none"}]
}
images: plain: {
	repository: "example.com/plain"
	from:       "debian:bookworm"
	steps: [{run: "make"}, {run: "make install"}]
	platform: "linux/amd64/v2": env: LEVEL: "2"
	platform: "linux/arm64": steps: [{}, {network: "none"}]
}`, nil)
	for _, c := range []struct{ image, platform string }{
		{"app", "linux/amd64"}, {"app", "linux/arm/v7"}, {"app", "linux/arm64"}, {"app", "linux/amd64/v2"},
		{"plain", "linux/amd64"}, {"plain", "linux/amd64/v2"}, {"plain", "linux/arm64"},
	} {
		got := stepPaths(t, s, c.image, c.platform)
		want := []string{"images." + c.image + ".steps[0]", "images." + c.image + ".steps[1]"}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s on %s: steps resolve to %q, want %q", c.image, c.platform, got, want)
		}
	}
}
