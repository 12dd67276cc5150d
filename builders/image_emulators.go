package builders

import (
	"context"
	"crypto/rand"
	"fmt"
	"path"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/bricklayer-build/bricklayer/engine"
	"github.com/bricklayer-build/bricklayer/platform"
)

// emulatorDir is where the moby/buildkit image keeps BuildKit's own QEMU
// emulators, buildkit-qemu-NAME, found on the daemon's PATH.
const emulatorDir = "/usr/bin"

// emulatedArchs are the architectures whose RUN steps BuildKit runs
// through buildkit-qemu-NAME, NAME being QEMU's (qemuNames), when the
// kernel cannot run them (solver/llbsolver/ops/exec_binfmt.go); it needs
// no binfmt_misc, so no root on the host. In a fixed order.
var emulatedArchs = []string{"386", "amd64", "arm", "arm64", "ppc64le", "riscv64", "s390x"}

// emulatorPlatforms are the platforms one emulator runs.
func emulatorPlatforms(arch string) []platform.Platform {
	if arch == "arm" {
		return []platform.Platform{{OS: "linux", Architecture: "arm", Variant: "v7"}, {OS: "linux", Architecture: "arm", Variant: "v6"}}
	}
	return []platform.Platform{{OS: "linux", Architecture: arch}}
}

// ImageEmulator is one of BuildKit's emulators in the container's image.
type ImageEmulator struct {
	Path      string
	Platforms []platform.Platform
}

// Emulators lists BuildKit's emulators in the container's image, but the
// Docker host's own architecture's, in a fixed order. BuildKit uses them
// by itself for a RUN step the kernel cannot run, so they also cover arm
// on an arm64 host whose CPU lacks 32-bit mode.
func (c Container) Emulators(ctx context.Context, d *engine.Client) ([]ImageEmulator, error) {
	host, err := d.Platform(ctx)
	if err != nil {
		return nil, err
	}
	var out []ImageEmulator
	for _, a := range emulatedArchs {
		if a == host.Architecture {
			continue
		}
		plats := emulatorPlatforms(a)
		p := path.Join(emulatorDir, "buildkit-qemu-"+qemuNames[a])
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
func Covered(ems []ImageEmulator) []platform.Platform {
	var out []platform.Platform
	for _, e := range ems {
		out = append(out, e.Platforms...)
	}
	return out
}

// emulate learns, from a short-lived container of the image, what its
// daemon runs by itself and which of BuildKit's emulators the image has,
// registers QEMU on the host for the platforms of want neither runs, and
// returns the platforms the new container's worker is to list:
// c.Platforms when given; nil, buildkitd's own detection, when nothing
// was added; else all of them.
func (c Container) emulate(ctx context.Context, d *engine.Client, want []platform.Platform) ([]platform.Platform, error) {
	detected, ems, err := c.probe(ctx, d)
	if err != nil {
		return nil, err
	}
	covered := Covered(ems)
	added := c.Emulation.register(want, covered, detected, c.remoteDocker, c.Notes)
	if len(c.Platforms) > 0 {
		return c.Platforms, nil
	}
	all := slices.Clone(detected)
	for _, p := range append(covered, added...) {
		if !slices.Contains(all, p) {
			all = append(all, p)
		}
	}
	if len(all) == len(detected) {
		return nil, nil
	}
	c.note("its daemon lists %s too, which it runs under emulation", platform.Join(all[len(detected):]))
	return all, nil
}

// probe starts the image once, apart (no state volume), and reads what
// its daemon detects and which emulators it carries.
func (c Container) probe(ctx context.Context, d *engine.Client) ([]platform.Platform, []ImageEmulator, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, nil, err
	}
	p := c
	p.Name, p.probing, p.probeOf, p.Platforms = fmt.Sprintf("%s-probe-%x", c.name(), b), true, c.name(), nil
	defer d.API.ContainerRemove(context.WithoutCancel(ctx), p.Name, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	// The image is there: the caller pulled it.
	if err := p.launch(ctx, d); err != nil {
		return nil, nil, fmt.Errorf("probing image %s: %w", c.image(), err)
	}
	st, err := p.wait(ctx, d)
	if err != nil {
		return nil, nil, fmt.Errorf("probing image %s: %w", c.image(), err)
	}
	ems, err := p.Emulators(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	return st.Platforms, ems, nil
}
