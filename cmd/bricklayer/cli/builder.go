package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/bricklayer-build/bricklayer/build"
)

func (c *CLI) builderCommand() *command {
	cmd := newCommand("builder", "bootstrap|stop", "start or stop a local BuildKit daemon", `
builder bootstrap makes sure a BuildKit daemon answers at --addr (default
$BUILDKIT_HOST, else unix:///run/buildkit/buildkitd.sock): when none does
and the address is a unix socket, it starts buildkitd there (an OCI worker
on runc, its files under --state) and waits until it answers. It prints
the address and the platforms the daemon builds. Foreign platforms need
QEMU registered with binfmt_misc before the daemon starts
(apt-get install qemu-user-static binfmt-support).

builder stop ends the daemon that bootstrap started in --state.`)
	addr := cmd.flags.String("addr", "", "daemon address (default $BUILDKIT_HOST or "+build.DefaultAddr+")")
	state := cmd.flags.String("state", build.DefaultState(), "directory for the daemon's root, config, log and pid")
	bin := cmd.flags.String("buildkitd", "", "buildkitd binary (default: $BRICKLAYER_BUILDKITD, else on PATH)")
	insecure := cmd.flags.StringArray("insecure-registry", nil, "registry HOST[:PORT] the daemon reaches over plain HTTP (repeatable)")
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageErrorf("builder takes one of bootstrap, stop")
		}
		d := build.Daemon{Addr: build.Addr(*addr), State: *state, Binary: *bin, Insecure: *insecure}
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
		case "stop":
			if err := build.Stop(d); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "stopped the daemon of %s\n", d.State)
			return nil
		}
		return usageErrorf("builder: unknown subcommand %q (bootstrap, stop)", args[0])
	}
	return cmd
}
