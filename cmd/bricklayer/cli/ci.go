package cli

import (
	"context"
	"io"

	"github.com/bricklayer-build/bricklayer/ciflow"
)

func (c *CLI) ciCommand() *command {
	cmd := newCommand("ci", "", "run the CI step of the GitHub Action or the Azure Pipelines template", `
Ci is the step that the GitHub Action (action.yml) and the Azure Pipelines
template (ci/azure/bricklayer.yml) run once they have installed bricklayer:
docker login (login-registry when login-username is given, then each
line of logins: REGISTRY USERNAME PASSWORD), vet, plan (a table of
images, tags and platforms in the job summary), then builder bootstrap
and build, or publish, and the step's outputs (metadata, metadata-file,
digests, digest). A builder-addr other than docker-container:// must
answer (builder inspect): the step never starts a buildkitd there.

It reads the step's inputs from INPUT_* variables, as the Action and the
template set them (INPUT_PUSH for push, INPUT_LOGIN_PASSWORD for
login-password):
  spec, mode (build or publish), push, platforms, images,
  metadata-file, metadata-files (publish), login-registry,
  login-username, login-password, logins (a login a line:
  REGISTRY USERNAME PASSWORD), builder-addr, insecure-registry, qemu,
  provenance, sbom, sign (a cosign key, or keyless), args, summary;
  version is the installer's (docs/ci.md describes each).
INPUT_ARGS, split as a shell would (quotes keep a value with blanks
whole), goes to every command that takes its flags: --context to vet,
plan, builder bootstrap and build alike. The CI is told from its
variables as for the build context: GitHub's outputs and summary go to
the files it names, Azure's through ##vso commands.
DOCKER_BUILD_SUMMARY=false or INPUT_SUMMARY=false leaves the summary
out.

The exit code is that of the command that failed, or 2 for an input the
step cannot take.`)
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageErrorf("ci takes no arguments: its inputs are INPUT_* variables")
		}
		step := &ciflow.Step{Env: c.getenv, Stdout: c.stdout, Stderr: c.stderr, Bricklayer: inProcess{c}}
		return step.Run(ctx)
	}
	return cmd
}

// inProcess runs bricklayer commands for ci through the CLI's own Run,
// with ci's streams: the same binary, no exec.
type inProcess struct{ c *CLI }

func (p inProcess) Run(ctx context.Context, args []string, env func(string) string, stdout io.Writer) int {
	sub := New(args)
	sub.stdin, sub.stdout, sub.stderr = p.c.stdin, stdout, p.c.stderr
	sub.getenv = env
	return sub.exitCode(sub.Run(ctx))
}

func (p inProcess) Flag(command, name string) (known, value bool) {
	cmd, ok := New(nil).command(command)
	if !ok {
		return false, false
	}
	f := cmd.flags.Lookup(name)
	if f == nil && len(name) == 1 {
		f = cmd.flags.ShorthandLookup(name)
	}
	if f == nil {
		return false, false
	}
	return true, f.NoOptDefVal == ""
}
