package cli

import (
	"context"
	"fmt"
	"slices"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

func (c *CLI) builderCommand() *command {
	cmd := newCommand("builder", "bootstrap|stop|inspect", "start, stop or inspect BuildKit daemons", `
builder bootstrap makes sure a BuildKit daemon answers, and prints its
address and the platforms it builds. --driver says how it runs BuildKit:
  local             buildkitd on this host, at --addr (default
                    $BUILDKIT_HOST, else unix:///run/buildkit/buildkitd.sock):
                    an OCI worker on runc, its files under --state.
  docker-container  BuildKit in a Docker container named --name (default
                    bricklayer; the address is docker-container://NAME), from
                    --image (default moby/buildkit at the BuildKit version
                    bricklayer is built with), its state in the volume
                    NAME_state so the cache survives restarts. It runs
                    privileged on the host's network; where Docker cannot
                    start a privileged container (a capability bounding set
                    smaller than Docker's list), it gets the host's
                    capabilities one by one, seccomp, apparmor and /proc
                    unconfined and writable cgroups instead, and says so.
                    A running container is reused, a stopped one started.
  auto (default)    a daemon that answers at the address; else, with no
                    address asked for, docker-container when Docker answers
                    (DOCKER_HOST); else local. It says which it chose.

Foreign platforms (those of --platform, else of the spec at --spec) run
under QEMU. With the docker-container driver BuildKit runs them with the
emulators of its image (moby/buildkit carries buildkit-qemu-* for arm64,
arm, riscv64, s390x, ppc64le and 386), which need neither root nor
binfmt_misc: a container bootstrap makes lists those platforms (it starts
the image once, apart, to learn what its daemon runs by itself). A
container that is there already is left as it is. Platforms left over need QEMU's
emulators registered with binfmt_misc: bootstrap registers them from the
host's qemu-user-static (apt-get install qemu-user-static binfmt-support;
root), with the fix-binary flag so containers use them, which is what
"docker run --privileged multiarch/qemu-user-static --reset -p yes" does.
A local daemon sees them as it starts. With Docker on another machine
(DOCKER_HOST ssh://, or tcp:// to another host) bootstrap registers
nothing here and says what that machine lacks. --emulation=off does
neither.

builder stop ends the daemon that bootstrap started in --state; with
--driver docker-container (or a docker-container:// address) it removes the
container, and with --volumes its state volume too.

builder inspect reaches every node of a builder (--node, --builder; or the
daemon of --addr) and prints its BuildKit version, the platforms it builds
natively and under emulation, and which platforms of the spec (--spec) it
will take. --bootstrap first starts the local daemon as bootstrap does.`)
	addr := cmd.flags.String("addr", "", "daemon address (default $BUILDKIT_HOST or "+builders.DefaultAddr+")")
	state := cmd.flags.String("state", builders.DefaultState(), "directory for the daemon's root, config, log and pid")
	bin := cmd.flags.String("buildkitd", "", "buildkitd binary (default: $BRICKLAYER_BUILDKITD, else on PATH)")
	insecure := cmd.flags.StringArray("insecure-registry", nil, "registry HOST[:PORT] the daemon reaches over plain HTTP (repeatable)")
	plats := cmd.flags.StringSlice("platform", nil, "bootstrap: restrict the daemon's worker to these platforms")
	nodes := nodeFlags(cmd.flags)
	specArg := cmd.flags.String("spec", ".", "the spec whose platforms to emulate (bootstrap) or route (inspect)")
	emulation := cmd.flags.String("emulation", "on", "bootstrap: register QEMU for foreign platforms (on) or not (off)")
	boot := cmd.flags.Bool("bootstrap", false, "inspect: bootstrap the local daemon first")
	// The spec is read as vet and plan read it: a policy that needs a
	// --context on a release commit needs it here too.
	contexts := contextFlag(cmd.flags)
	sets := setFlag(cmd.flags)
	drv := driverFlags(cmd.flags)
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageErrorf("builder takes one of bootstrap, stop, inspect")
		}
		d := builders.Daemon{Addr: builders.Addr(*addr), State: *state, Binary: *bin}
		if err := builders.CheckAddr(d.Addr); err != nil {
			return usageErrorf("builder: %v", err)
		}
		var err error
		if d.Insecure, err = parseInsecure("builder", *insecure); err != nil {
			return err
		}
		if d.Platforms, err = platform.ParseList(*plats); err != nil {
			return usageErrorf("builder: --platform: %v", err)
		}
		o, err := drv.options(d, *addr, c)
		if err != nil {
			return err
		}
		sr := specRead{*specArg, *contexts, *sets}
		switch args[0] {
		case "bootstrap":
			if *emulation != "on" && *emulation != "off" {
				return usageErrorf("builder: --emulation must be on or off, not %q", *emulation)
			}
			o.Emulation = builders.Emulate{Off: *emulation == "off", Want: func(ctx context.Context) ([]platform.Platform, error) {
				if len(d.Platforms) > 0 {
					return d.Platforms, nil
				}
				return c.specPlatforms(ctx, sr)
			}}
			driver, st, err := c.bootstrap(ctx, o)
			if err != nil {
				return err
			}
			c.printBootstrap(st, driver)
			return nil
		case "inspect":
			at := *addr
			var booted builders.Driver
			if *boot {
				// Emulation as a new container's image runs it; no QEMU
				// registered on the host.
				var st *builders.Status
				if booted, st, err = c.bootstrap(ctx, o); err != nil {
					return err
				}
				if at == "" && len(*nodes.nodes) == 0 && *nodes.file == "" {
					at = st.Addr
				}
			}
			b, err := nodes.builder(at, c.stderr)
			if err != nil {
				return err
			}
			return c.inspect(ctx, b, booted, sr)
		case "stop":
			return c.stop(ctx, o)
		}
		return usageErrorf("builder: unknown subcommand %q (bootstrap, stop, inspect)", args[0])
	}
	return cmd
}

// inspect tells what each node of b builds and which of the spec's
// platforms it takes. The daemon of a builder of one is inspected through
// booted, the driver that bootstrapped it, when there is one.
func (c *CLI) inspect(ctx context.Context, b *builders.Builder, booted builders.Driver, sr specRead) error {
	want, err := c.specPlatforms(ctx, sr)
	if err != nil {
		return err
	}
	var sts []builders.NodeStatus
	if booted != nil && b.Single() {
		sts = []builders.NodeStatus{booted.Inspect(ctx, want)}
	} else {
		sts = builders.Inspect(ctx, b, want)
	}
	down := 0
	for _, st := range sts {
		fmt.Fprintf(c.stdout, "%s  %s\n", st.Node.Name, st.Node.Addr)
		if st.Err != nil {
			down++
			fmt.Fprintf(c.stdout, "  unreachable: %v\n", st.Err)
			continue
		}
		fmt.Fprintf(c.stdout, "  buildkit: %s\n", st.Version)
		if len(st.Node.Platforms) > 0 {
			fmt.Fprintf(c.stdout, "  serves:   %s\n", platform.Join(st.Node.Platforms))
		}
		fmt.Fprintf(c.stdout, "  native:   %s\n", platform.Join(st.Native))
		fmt.Fprintf(c.stdout, "  emulated: %s\n", platform.Join(st.Emulated))
		if want != nil {
			fmt.Fprintf(c.stdout, "  takes:    %s\n", platform.Join(st.Takes))
		}
	}
	if down > 0 {
		return &noDaemon{err: fmt.Errorf("%d node(s) unreachable", down)}
	}
	return nil
}

// specPlatforms are the platforms of every image of the spec at arg, in
// order, or none when there is no spec there.
func (c *CLI) specPlatforms(ctx context.Context, sr specRead) ([]platform.Platform, error) {
	file, err := spec.Find(sr.arg)
	if err != nil {
		return nil, nil
	}
	s, err := c.load(ctx, file, sr.contexts, sr.sets...)
	if err != nil {
		return nil, err
	}
	var out []platform.Platform
	for _, name := range s.ImageNames {
		for _, p := range s.Images[name].Platforms {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// specRead is the spec builder reads for its platforms (--spec), with
// the --context and --set overrides.
type specRead struct {
	arg            string
	contexts, sets []string
}
