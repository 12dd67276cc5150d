package cli

import (
	"context"
)

func (c *CLI) exportCommand() *command {
	cmd := newCommand("export", "[FILE|DIR]", "print the evaluated spec as JSON or YAML", `
Export loads and checks the spec as vet does (with --context and --set),
and prints it evaluated, as cue export does: the file's values unified
with the schema (its defaults filled in; hidden fields and definitions
left out), with build, the build context the spec was evaluated with
(only the date when the spec neither refers to build nor sets a policy or
an epoch), and for each image what it resolves to for this build:

  platforms    its own or the top-level ones, normalized
  tags         its own tags and those its policy yields
  aliasTags    their aliases
  references   repository:tag for every tag and alias

--out yaml prints YAML instead of JSON.`)
	out := cmd.flags.String("out", "json", "output format: json or yaml")
	contexts := contextFlag(cmd.flags)
	sets := setFlag(cmd.flags)
	cmd.run = func(ctx context.Context, args []string) error {
		arg, err := oneArg("export", args)
		if err != nil {
			return err
		}
		if *out != "json" && *out != "yaml" {
			return usageErrorf("export: --out must be json or yaml, not %q", *out)
		}
		s, err := c.load(ctx, arg, *contexts, *sets...)
		if err != nil {
			return err
		}
		dt, err := s.Export(*out)
		if err != nil {
			return err
		}
		_, err = c.stdout.Write(dt)
		return err
	}
	return cmd
}
