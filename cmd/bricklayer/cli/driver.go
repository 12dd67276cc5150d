package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/engine"
	"github.com/bricklayer-build/bricklayer/platform"
)

// driverOpts are builder's flags for the driver that runs BuildKit.
type driverOpts struct {
	driver, name, image *string
	volumes             *bool
	fs                  *pflag.FlagSet
}

func driverFlags(fs *pflag.FlagSet) *driverOpts {
	return &driverOpts{
		fs:      fs,
		driver:  fs.String("driver", builders.DriverAuto, "how bootstrap runs BuildKit: auto, docker-container (in a Docker container) or local (a buildkitd binary)"),
		name:    fs.String("name", builders.DefaultContainerName, "docker-container: the container (its address is docker-container://NAME)"),
		image:   fs.String("image", builders.DefaultImage(), "docker-container: the BuildKit image"),
		volumes: fs.Bool("volumes", false, "stop, docker-container: remove the container's state volume (the cache) too"),
	}
}

func (o *driverOpts) container(d builders.Daemon, name string, c *CLI) builders.Container {
	return builders.Container{Name: name, Image: *o.image, Insecure: d.Insecure, Platforms: d.Platforms, Notes: c.stderr}
}

// choose picks the driver (auto looks at the address and at Docker) and
// says which it took.
func (o *driverOpts) choose(ctx context.Context, c *CLI, flagAddr string) (builders.Choice, error) {
	if !slices.Contains(builders.Drivers, *o.driver) {
		return builders.Choice{}, usageErrorf("builder: --driver %q: want %s", *o.driver, strings.Join(builders.Drivers, ", "))
	}
	ch, err := builders.ChooseDriver(ctx, *o.driver, flagAddr, os.Getenv("BUILDKIT_HOST"), *o.name, o.fs.Changed("name"), builders.Probe(func() (string, bool) {
		d, err := engine.New()
		if err != nil {
			return "", false
		}
		defer d.Close()
		return d.Host(), d.Ping(ctx) == nil
	}))
	if err != nil {
		return ch, err
	}
	if *o.driver == builders.DriverAuto {
		what := "driver " + ch.Driver
		if ch.Running() {
			what = "using it"
		}
		fmt.Fprintf(c.stderr, "bricklayer: %s: %s\n", ch.Why, what)
	}
	return ch, nil
}

// emulationAt is what bootstrap knows when it sets up emulation: the
// platforms the builder image's emulators run and those its daemon runs
// by itself (docker-container), and the Docker host when it is another
// machine.
type emulationAt struct {
	covered, detected []platform.Platform
	remoteDocker      string
}

// emulateFunc sets up QEMU for the wanted platforms and returns those it
// registered.
type emulateFunc func(at emulationAt) ([]platform.Platform, error)

// bootstrap makes sure a daemon answers, as the chosen driver does it.
// emulate, when not nil, sets up QEMU for foreign platforms: before a
// local daemon starts, so it sees the handlers; after a container starts,
// told which platforms BuildKit's own emulators in the image cover, so
// the host registers only the rest. A container this call started is
// told to list those platforms unless emulation is off.
func (c *CLI) bootstrap(ctx context.Context, o *driverOpts, d builders.Daemon, flagAddr string, emulation bool, emulate emulateFunc) (*builders.Status, builders.Choice, error) {
	ch, err := o.choose(ctx, c, flagAddr)
	if err != nil {
		return nil, ch, err
	}
	if ch.Driver == builders.DriverDockerContainer {
		st, err := c.bootstrapContainer(ctx, o.container(d, ch.Name, c), emulation, emulate)
		return st, ch, err
	}
	if emulate != nil {
		if _, err := emulate(emulationAt{}); err != nil {
			return nil, ch, err
		}
	}
	// A running daemon, or the local driver: Bootstrap reports the
	// first and starts the second.
	d.Addr = ch.Addr
	st, err := builders.Bootstrap(ctx, d)
	if err != nil {
		return nil, ch, &noDaemon{err: err}
	}
	return st, ch, nil
}

// bootstrapContainer runs the docker-container driver's daemon. A new
// container gets emulation set up as it is made (its worker listing
// what its image's emulators run); a container that is there already is
// left as it is, with a note when it lacks platforms its image could add.
func (c *CLI) bootstrapContainer(ctx context.Context, bc builders.Container, emulation bool, emulate emulateFunc) (*builders.Status, error) {
	dc, err := engine.New()
	if err != nil {
		return nil, &noDaemon{err: err}
	}
	defer dc.Close()
	remote := ""
	if !dc.Local() {
		remote = dc.Host()
	}
	made := false
	var emuErr error
	if emulation {
		bc.Emulate = func(covered, detected []platform.Platform) ([]platform.Platform, error) {
			made = true
			if emulate == nil {
				return nil, nil
			}
			added, err := emulate(emulationAt{covered: covered, detected: detected, remoteDocker: remote})
			emuErr = err
			return added, err
		}
	}
	st, err := bc.Bootstrap(ctx, dc)
	if emuErr != nil {
		return nil, emuErr // the spec's, as vet reports it
	}
	if err != nil {
		return nil, &noDaemon{err: err}
	}
	if !emulation || made {
		return st, nil
	}
	ems, err := bc.Emulators(ctx, dc)
	if err != nil {
		return nil, &noDaemon{err: err}
	}
	// The image's emulators run these whether the daemon lists them or
	// not: QEMU on the host is for the rest only.
	covered := builders.Covered(ems)
	if emulate != nil {
		if _, err := emulate(emulationAt{covered: covered, detected: st.Platforms, remoteDocker: remote}); err != nil {
			return nil, err
		}
	}
	var unlisted []platform.Platform
	for _, p := range covered {
		if !slices.Contains(st.Platforms, p) {
			unlisted = append(unlisted, p)
		}
	}
	if len(unlisted) > 0 && len(bc.Platforms) == 0 {
		// Restarting it would break the builds of whoever shares it.
		fmt.Fprintf(c.stderr, "bricklayer: note: the container %s was made without listing %s, which its image's emulators run; builder stop, then bootstrap, to add them\n",
			bc.Addr(), platform.Join(unlisted))
	}
	return st, nil
}

// printBootstrap tells where the daemon is, how it came to run, and what
// it builds.
func (c *CLI) printBootstrap(st *builders.Status, ch builders.Choice, d builders.Daemon, o *driverOpts) {
	how := "running"
	switch {
	case st.Started && ch.Driver == builders.DriverDockerContainer:
		how = fmt.Sprintf("started (container %s, image %s, state in volume %s)", ch.Name, *o.image, o.container(d, ch.Name, c).Volume())
	case st.Started:
		how = "started (state in " + d.State + ")"
	}
	fmt.Fprintf(c.stdout, "BuildKit at %s: %s\nplatforms: %s\n", st.Addr, how, platform.Join(st.Platforms))
	if st.Addr != builders.Addr("") {
		fmt.Fprintf(c.stderr, "bricklayer: build on it with --addr %s, or: export BUILDKIT_HOST=%s\n", st.Addr, st.Addr)
	}
}

// stopContainer removes the docker-container driver's container, and with
// --volumes its state. It tells whether the driver was docker-container.
func (c *CLI) stopContainer(ctx context.Context, o *driverOpts, d builders.Daemon, flagAddr string) (bool, error) {
	addr := flagAddr
	if addr == "" {
		addr = os.Getenv("BUILDKIT_HOST")
	}
	name := *o.name
	if n, ok := strings.CutPrefix(addr, "docker-container://"); ok && (*o.driver != builders.DriverLocal) {
		if o.fs.Changed("name") && n != name {
			return true, usageErrorf("builder: --name %s and address %s name different containers", name, addr)
		}
		name = n
	} else if *o.driver != builders.DriverDockerContainer {
		return false, nil
	}
	dc, err := engine.New()
	if err != nil {
		return true, &noDaemon{err: err}
	}
	defer dc.Close()
	removed, err := o.container(d, name, c).Stop(ctx, dc, *o.volumes)
	if err != nil {
		return true, err // Docker not answering is exit 4, as everywhere
	}
	fmt.Fprintf(c.stdout, "removed %s\n", strings.Join(removed, " and "))
	return true, nil
}
