package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// Exit codes, documented in docs/commands.md (TestDocsExitCodes).
const (
	ExitOK       = 0 // success
	ExitFailure  = 1 // the spec is invalid, a check failed, or the command failed
	ExitUsage    = 2 // bad command line
	ExitBuild    = 3 // a build or push failed; no tag was moved
	ExitNoDaemon = 4 // no BuildKit daemon answered
	// ExitTagsLeft: moving tags failed and so did putting some back;
	// they may still point at the new index (the error says how many).
	ExitTagsLeft = 5
	// ExitInterrupted is the shell's code for SIGINT: the build was
	// stopped (Ctrl-C); no tag was moved, or every one was put back.
	// SIGTERM and SIGHUP stop it the same way, with 128 + their number:
	// ExitTerminated and ExitHangup.
	ExitInterrupted = 130
	ExitTerminated  = 143
	ExitHangup      = 129
)

// command is one subcommand: its flags, help text and run function.
type command struct {
	name  string
	args  string // argument synopsis, e.g. "[FILE|DIR]"
	short string
	long  string
	flags *pflag.FlagSet
	run   func(ctx context.Context, args []string) error
}

// CLI is one invocation of bricklayer.
type CLI struct {
	args           []string
	stdin          io.Reader
	stdout, stderr io.Writer
	// getenv reads the environment where a command takes the runner's:
	// ci's inputs, build's type=gha caches. ci gives the commands it runs
	// its own, so that they see what the step was given.
	getenv func(string) string
	// makers build the commands, by name. A run builds only the command it
	// runs: their flag sets are most of the start-up work that is ours.
	makers map[string]func() *command
}

// New returns the CLI for args (without the program name), writing to the
// process's standard streams.
func New(args []string) *CLI {
	c := &CLI{args: args, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	c.makers = map[string]func() *command{
		"vet":        c.vetCommand,
		"plan":       c.planCommand,
		"print":      c.printCommand,
		"build":      c.buildCommand,
		"publish":    c.publishCommand,
		"lock":       c.lockCommand,
		"completion": c.completionCommand,
		"builder":    c.builderCommand,
		"context":    c.contextCommand,
		"export":     c.exportCommand,
		"migrate":    c.migrateCommand,
		"fmt":        c.fmtCommand,
		"init":       c.initCommand,
		"schema":     c.schemaCommand,
		"version":    c.versionCommand,
		"ci":         c.ciCommand,
	}
	return c
}

// command builds the command called name.
func (c *CLI) command(name string) (*command, bool) {
	mk, ok := c.makers[name]
	if !ok {
		return nil, false
	}
	return mk(), true
}

// commands builds every command, for help and completion.
func (c *CLI) commands() map[string]*command {
	out := make(map[string]*command, len(c.makers))
	for n, mk := range c.makers {
		out[n] = mk()
	}
	return out
}

// Main runs bricklayer with the process's arguments and returns its exit
// code.
func Main() int {
	ctx, stop := withSignals(context.Background())
	defer stop()
	c := New(os.Args[1:])
	return c.exitCode(c.Run(ctx))
}

// Run runs the command line. Errors come back unprinted; Main prints them.
func (c *CLI) Run(ctx context.Context) error {
	if len(c.args) == 0 {
		c.usage(c.stderr)
		return usageErrorf("no command given")
	}
	name, args := c.args[0], c.args[1:]
	switch name {
	case "help", "-h", "--help":
		if len(args) == 0 {
			c.usage(c.stdout)
			return nil
		}
		cmd, ok := c.command(args[0])
		if !ok {
			return usageErrorf("unknown command %q", args[0])
		}
		cmd.help(c.stdout)
		return nil
	case "--version":
		name = "version"
	}
	cmd, ok := c.command(name)
	if !ok {
		return usageErrorf("unknown command %q (bricklayer help lists them)", name)
	}
	cmd.flags.SetOutput(io.Discard)
	if err := cmd.flags.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			cmd.help(c.stdout)
			return nil
		}
		return usageErrorf("%s: %v", name, err)
	}
	return cmd.run(ctx, cmd.flags.Args())
}

func (c *CLI) usage(w io.Writer) {
	fmt.Fprint(w, "bricklayer compiles a bricklayer.cue build spec into multi-platform images.\n\nUsage:\n  bricklayer COMMAND [flags] [args]\n\nCommands:\n")
	cmds := c.commands()
	for _, n := range c.names() {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].short)
	}
	fmt.Fprint(w, "\nbricklayer help COMMAND (or COMMAND --help) tells more.\n")
}

func newCommand(name, args, short, long string) *command {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	return &command{name: name, args: args, short: short, long: strings.TrimSpace(long), flags: fs}
}

func (cmd *command) help(w io.Writer) {
	fmt.Fprintf(w, "Usage: bricklayer %s [flags] %s\n\n%s\n", cmd.name, cmd.args, cmd.long)
	if cmd.flags.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", cmd.flags.FlagUsages())
	}
}

// oneArg returns the single optional FILE|DIR argument.
func oneArg(cmd string, args []string) (string, error) {
	switch len(args) {
	case 0:
		return ".", nil
	case 1:
		return args[0], nil
	}
	return "", usageErrorf("%s takes at most one FILE or DIR, got %d arguments", cmd, len(args))
}
