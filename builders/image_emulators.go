package builders

import (
	"context"
	"fmt"
	"path"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/bricklayer-build/bricklayer/engine"
	"github.com/bricklayer-build/bricklayer/spec"
)

// emulatorDir is where the moby/buildkit image keeps BuildKit's own QEMU
// emulators, buildkit-qemu-NAME, found on the daemon's PATH.
const emulatorDir = "/usr/bin"

// emulatorNames are the architectures whose RUN steps BuildKit runs
// through buildkit-qemu-NAME when the kernel cannot run them, by the
// names BuildKit looks up (solver/llbsolver/ops/exec_binfmt.go); it
// needs no binfmt_misc, so no root on the host.
var emulatorNames = map[string]string{
	"arm64": "aarch64", "amd64": "x86_64", "riscv64": "riscv64", "arm": "arm",
	"s390x": "s390x", "ppc64le": "ppc64le", "386": "i386",
}

// emulatorPlatforms are the platforms one emulator runs.
func emulatorPlatforms(arch string) []spec.Platform {
	if arch == "arm" {
		return []spec.Platform{{OS: "linux", Architecture: "arm", Variant: "v7"}, {OS: "linux", Architecture: "arm", Variant: "v6"}}
	}
	return []spec.Platform{{OS: "linux", Architecture: arch}}
}

// ImageEmulator is one of BuildKit's emulators in the container's image.
type ImageEmulator struct {
	Path      string
	Platforms []spec.Platform
}

// Emulators lists BuildKit's emulators in the container's image, but the
// Docker host's own architecture's, in a fixed order. BuildKit uses them
// by itself for a RUN step the kernel cannot run, so they also cover arm
// on an arm64 host whose CPU lacks 32-bit mode.
func (c Container) Emulators(ctx context.Context, d *engine.Client) ([]ImageEmulator, error) {
	v, err := d.API.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return nil, fmt.Errorf("asking Docker for its architecture: %w", err)
	}
	archs := make([]string, 0, len(emulatorNames))
	for a := range emulatorNames {
		archs = append(archs, a)
	}
	slices.Sort(archs)
	var out []ImageEmulator
	for _, a := range archs {
		if a == v.Arch {
			continue
		}
		plats := emulatorPlatforms(a)
		p := path.Join(emulatorDir, "buildkit-qemu-"+emulatorNames[a])
		_, err := d.API.ContainerStatPath(ctx, c.name(), client.ContainerStatPathOptions{Path: p})
		switch {
		case err == nil:
			out = append(out, ImageEmulator{Path: p, Platforms: plats})
		case !cerrdefs.IsNotFound(err):
			return nil, fmt.Errorf("looking for %s in container %s: %w", p, c.name(), err)
		}
	}
	return out, nil
}

// Covered are the platforms the emulators run.
func Covered(ems []ImageEmulator) []spec.Platform {
	var out []spec.Platform
	for _, e := range ems {
		out = append(out, e.Platforms...)
	}
	return out
}

// Advertise makes the daemon's worker list extra too: buildkitd's own
// detection sees binfmt_misc only, not the emulators in its image, and
// routing takes only platforms a worker lists. It writes the whole list
// into the config and restarts the container, so call it only on a
// container this bootstrap started: a running one may be serving builds.
// A config that already lists its platforms (--platform) is left alone.
func (c Container) Advertise(ctx context.Context, d *engine.Client, st *Status, extra []spec.Platform) (*Status, error) {
	if len(c.Platforms) > 0 {
		return st, nil
	}
	all := slices.Clone(st.Platforms)
	for _, p := range extra {
		if !slices.Contains(all, p) {
			all = append(all, p)
		}
	}
	if len(all) == len(st.Platforms) {
		return st, nil
	}
	c.Platforms = all
	if _, err := d.API.CopyToContainer(ctx, c.name(), client.CopyToContainerOptions{DestinationPath: "/", Content: c.configTar()}); err != nil {
		return nil, fmt.Errorf("writing buildkitd.toml into %s: %w", c.name(), err)
	}
	if _, err := d.API.ContainerRestart(ctx, c.name(), client.ContainerRestartOptions{}); err != nil {
		return nil, fmt.Errorf("restarting container %s: %w", c.name(), err)
	}
	st2, err := c.wait(ctx, d)
	if err != nil {
		return nil, err
	}
	st2.Started = st.Started
	return st2, nil
}
