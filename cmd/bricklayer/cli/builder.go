package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/bricklayer-build/bricklayer/build"
	"github.com/bricklayer-build/bricklayer/spec"
)

func (c *CLI) builderCommand() *command {
	cmd := newCommand("builder", "bootstrap|stop|inspect", "start, stop or inspect BuildKit daemons", `
builder bootstrap makes sure a BuildKit daemon answers at --addr (default
$BUILDKIT_HOST, else unix:///run/buildkit/buildkitd.sock): when none does
and the address is a unix socket, it starts buildkitd there (an OCI worker
on runc, its files under --state) and waits until it answers. It prints
the address and the platforms the daemon builds. Foreign platforms need
QEMU registered with binfmt_misc before the daemon starts
(apt-get install qemu-user-static binfmt-support).

builder stop ends the daemon that bootstrap started in --state.

builder inspect reaches every node of a builder (--node, --builder; or the
daemon of --addr) and prints its BuildKit version, the platforms it builds
natively and under emulation, and which platforms of the spec (--spec) it
will take. --bootstrap first starts the local daemon as bootstrap does.`)
	addr := cmd.flags.String("addr", "", "daemon address (default $BUILDKIT_HOST or "+build.DefaultAddr+")")
	state := cmd.flags.String("state", build.DefaultState(), "directory for the daemon's root, config, log and pid")
	bin := cmd.flags.String("buildkitd", "", "buildkitd binary (default: $BRICKLAYER_BUILDKITD, else on PATH)")
	insecure := cmd.flags.StringArray("insecure-registry", nil, "registry HOST[:PORT] the daemon reaches over plain HTTP (repeatable)")
	plats := cmd.flags.StringSlice("platform", nil, "bootstrap: restrict the daemon's worker to these platforms")
	nodes := nodeFlags(cmd.flags)
	specArg := cmd.flags.String("spec", ".", "inspect: the spec whose platforms to route")
	boot := cmd.flags.Bool("bootstrap", false, "inspect: bootstrap the local daemon first")
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageErrorf("builder takes one of bootstrap, stop, inspect")
		}
		d := build.Daemon{Addr: build.Addr(*addr), State: *state, Binary: *bin, Insecure: *insecure}
		for _, p := range *plats {
			norm, err := spec.NormalizePlatform(p)
			if err != nil {
				return usageErrorf("builder: --platform: %v", err)
			}
			d.Platforms = append(d.Platforms, norm)
		}
		switch args[0] {
		case "bootstrap":
			if !build.HasEmulation() {
				fmt.Fprintln(c.stderr, "bricklayer: warning: QEMU is not registered with binfmt_misc; the daemon will build only its native platforms")
			}
			st, err := build.Bootstrap(ctx, d)
			if err != nil {
				return &exitError{code: ExitNoDaemon, msg: "bricklayer: " + err.Error()}
			}
			how := "running"
			if st.Started {
				how = "started (state in " + d.State + ")"
			}
			fmt.Fprintf(c.stdout, "BuildKit at %s: %s\nplatforms: %s\n", st.Addr, how, strings.Join(st.Platforms, ", "))
			return nil
		case "inspect":
			if *boot {
				if _, err := build.Bootstrap(ctx, d); err != nil {
					return &exitError{code: ExitNoDaemon, msg: "bricklayer: " + err.Error()}
				}
			}
			b, err := nodes.builder()
			if err != nil {
				return err
			}
			if b == nil {
				b = &build.Builder{Nodes: []build.Node{{Name: "default", Addr: d.Addr}}}
			}
			return c.inspect(ctx, b, *specArg)
		case "stop":
			if err := build.Stop(d); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "stopped the daemon of %s\n", d.State)
			return nil
		}
		return usageErrorf("builder: unknown subcommand %q (bootstrap, stop, inspect)", args[0])
	}
	return cmd
}

func (c *CLI) inspect(ctx context.Context, b *build.Builder, specArg string) error {
	var want []string
	if file, err := spec.Find(specArg); err == nil {
		s, err := c.load(ctx, file, nil)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, name := range s.ImageNames {
			for _, p := range s.Images[name].Platforms {
				if !seen[p] {
					seen[p] = true
					want = append(want, p)
				}
			}
		}
	}
	down := 0
	for _, st := range build.Inspect(ctx, b, want) {
		fmt.Fprintf(c.stdout, "%s  %s\n", st.Node.Name, st.Node.Addr)
		if st.Err != nil {
			down++
			fmt.Fprintf(c.stdout, "  unreachable: %v\n", st.Err)
			continue
		}
		fmt.Fprintf(c.stdout, "  buildkit: %s\n", st.Version)
		if len(st.Node.Platforms) > 0 {
			fmt.Fprintf(c.stdout, "  serves:   %s\n", strings.Join(st.Node.Platforms, ", "))
		}
		fmt.Fprintf(c.stdout, "  native:   %s\n", strings.Join(st.Native, ", "))
		fmt.Fprintf(c.stdout, "  emulated: %s\n", strings.Join(st.Emulated, ", "))
		if want != nil {
			fmt.Fprintf(c.stdout, "  takes:    %s\n", strings.Join(st.Takes, ", "))
		}
	}
	if down > 0 {
		return &exitError{code: ExitNoDaemon, msg: fmt.Sprintf("bricklayer: %d node(s) unreachable", down)}
	}
	return nil
}
