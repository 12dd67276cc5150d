package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/bricklayer-build/bricklayer/builders"
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
		driver:  fs.String("driver", string(builders.DriverAuto), "how bootstrap runs BuildKit: auto, docker-container (in a Docker container) or local (a buildkitd binary)"),
		name:    fs.String("name", builders.DefaultContainerName, "docker-container: the container (its address is docker-container://NAME)"),
		image:   fs.String("image", builders.DefaultImage(), "docker-container: the BuildKit image"),
		volumes: fs.Bool("volumes", false, "stop, docker-container: remove the container's state volume (the cache) too"),
	}
}

// options are the driver flags with d's (the daemon's flags) and
// addrFlag (--addr, perhaps empty) as builders.Options.
func (o *driverOpts) options(d builders.Daemon, addrFlag string, c *CLI) (builders.Options, error) {
	kind, err := builders.ParseDriver(*o.driver)
	if err != nil {
		return builders.Options{}, fmt.Errorf("builder: %w", err)
	}
	return builders.Options{
		Driver: kind, Addr: addrFlag, EnvAddr: os.Getenv("BUILDKIT_HOST"),
		Name: *o.name, NameGiven: o.fs.Changed("name"), Image: *o.image,
		State: d.State, Binary: d.Binary, Insecure: d.Insecure, Platforms: d.Platforms,
		Volumes: *o.volumes, Notes: c.stderr,
	}, nil
}

// bootstrap picks the driver (saying which, when auto picked it) and
// makes sure its daemon answers.
func (c *CLI) bootstrap(ctx context.Context, o builders.Options) (builders.Driver, *builders.Status, error) {
	ch, err := builders.NewDriver(ctx, o)
	if err != nil {
		return nil, nil, fmt.Errorf("builder: %w", err)
	}
	if ch.Why != "" {
		fmt.Fprintf(c.stderr, "bricklayer: %s\n", ch.Why)
	}
	st, err := ch.Driver.Bootstrap(ctx)
	if err != nil {
		return nil, nil, err
	}
	return ch.Driver, st, nil
}

// printBootstrap tells where the daemon is, how it came to run, and what
// it builds.
func (c *CLI) printBootstrap(st *builders.Status, drv builders.Driver) {
	how := "running"
	if st.Started {
		how = "started (" + drv.Describe() + ")"
	}
	fmt.Fprintf(c.stdout, "BuildKit at %s: %s\nplatforms: %s\n", st.Addr, how, platform.Join(st.Platforms))
	if st.Addr != builders.Addr("") {
		fmt.Fprintf(c.stderr, "bricklayer: build on it with --addr %s, or: export BUILDKIT_HOST=%s\n", st.Addr, st.Addr)
	}
}

// stop ends what the driver the flags name started.
func (c *CLI) stop(ctx context.Context, o builders.Options) error {
	drv, err := builders.StopDriver(o)
	if err != nil {
		return fmt.Errorf("builder: %w", err)
	}
	what, err := drv.Stop(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, what)
	return nil
}
