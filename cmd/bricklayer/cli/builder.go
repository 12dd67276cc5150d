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
		switch args[0] {
		case "bootstrap":
			if *emulation != "on" && *emulation != "off" {
				return usageErrorf("builder: --emulation must be on or off, not %q", *emulation)
			}
			on := *emulation == "on"
			st, ch, err := c.bootstrap(ctx, drv, d, *addr, on, func(at emulationAt) ([]platform.Platform, error) {
				if !on {
					return nil, nil
				}
				return c.emulate(ctx, d.Platforms, specRead{*specArg, *contexts, *sets}, at)
			})
			if err != nil {
				return err
			}
			c.printBootstrap(st, ch, d, drv)
			return nil
		case "inspect":
			at := *addr
			if *boot {
				st, _, err := c.bootstrap(ctx, drv, d, *addr, true, nil)
				if err != nil {
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
			return c.inspect(ctx, b, specRead{*specArg, *contexts, *sets})
		case "stop":
			if done, err := c.stopContainer(ctx, drv, d, *addr); done || err != nil {
				return err
			}
			if err := builders.Stop(d); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "stopped the daemon of %s\n", d.State)
			return nil
		}
		return usageErrorf("builder: unknown subcommand %q (bootstrap, stop, inspect)", args[0])
	}
	return cmd
}

func (c *CLI) inspect(ctx context.Context, b *builders.Builder, sr specRead) error {
	want, err := c.specPlatforms(ctx, sr)
	if err != nil {
		return err
	}
	down := 0
	for _, st := range builders.Inspect(ctx, b, want) {
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

// emulate registers QEMU with binfmt_misc for the wanted platforms
// (plats, else the spec's) that the host runs neither natively nor
// through covered (BuildKit's emulators in the builder's image), telling
// what it did or what is missing. It returns the platforms it registered.
func (c *CLI) emulate(ctx context.Context, plats []platform.Platform, sr specRead, at emulationAt) ([]platform.Platform, error) {
	want := plats
	if len(want) == 0 {
		var err error
		if want, err = c.specPlatforms(ctx, sr); err != nil {
			return nil, err
		}
	}
	covered := at.covered
	if at.remoteDocker != "" {
		// binfmt_misc is the Docker host's kernel's, not this one's.
		var left []platform.Platform
		for _, p := range want {
			if !slices.Contains(covered, p) && !slices.Contains(at.detected, p) {
				left = append(left, p)
			}
		}
		if len(left) > 0 {
			fmt.Fprintf(c.stderr, "bricklayer: warning: the daemon will not build %s: Docker at %s is another machine, whose kernel bricklayer cannot give QEMU; register it there (apt-get install qemu-user-static binfmt-support), then builder stop and bootstrap\n",
				platform.Join(left), at.remoteDocker)
		}
		return nil, nil
	}
	var e builders.Emulation
	var inImage []platform.Platform
	want = slices.DeleteFunc(slices.Clone(want), func(p platform.Platform) bool {
		if slices.Contains(covered, p) {
			if slices.Contains(e.Missing([]platform.Platform{p}), p) {
				inImage = append(inImage, p)
			}
			return true
		}
		return false
	})
	if len(inImage) > 0 {
		fmt.Fprintf(c.stderr, "bricklayer: %s: emulated by BuildKit's own QEMU in the builder's image (no binfmt_misc needed)\n", platform.Join(inImage))
	}
	registered, err := e.Ensure(want)
	var said []string
	for _, p := range registered {
		if h := builders.Handler(p); !slices.Contains(said, h) {
			said = append(said, h)
			fmt.Fprintf(c.stderr, "bricklayer: registered QEMU handler %s with binfmt_misc\n", h)
		}
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "bricklayer: warning: the daemon will not build some platforms: %v\n", err)
	}
	return registered, nil
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
