package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// stamped is the release version, set by hack/release.sh with
// -ldflags "-X github.com/bricklayer-build/bricklayer/cmd/bricklayer/cli.stamped=v1.2.3";
// empty in other builds, which report the module version instead.
var stamped string

func (c *CLI) versionCommand() *command {
	cmd := newCommand("version", "", "print the version of bricklayer", `
Version prints bricklayer's version and those of the CUE and BuildKit
modules it was built with.`)
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageErrorf("version takes no arguments")
		}
		version, deps := "(devel)", map[string]string{}
		if bi, ok := debug.ReadBuildInfo(); ok {
			if bi.Main.Version != "" {
				version = bi.Main.Version
			}
			if stamped != "" {
				version = stamped
			}
			for _, d := range bi.Deps {
				deps[d.Path] = d.Version
			}
		}
		fmt.Fprintf(c.stdout, "bricklayer %s %s/%s %s\n", version, runtime.GOOS, runtime.GOARCH, runtime.Version())
		for _, m := range []string{"cuelang.org/go", "github.com/moby/buildkit"} {
			if v, ok := deps[m]; ok {
				fmt.Fprintf(c.stdout, "  %s %s\n", m, v)
			}
		}
		return nil
	}
	return cmd
}
