package cli

import (
	"context"
	"encoding/json"

	"github.com/bricklayer-build/bricklayer/spec"
)

func (c *CLI) contextCommand() *command {
	cmd := newCommand("context", "[FILE|DIR]", "print the build context a spec sees as `build`", `
Context prints, as JSON, what bricklayer knows of the build of the spec's
repository and fills in as the spec's build field: the git branch, tag,
commit, describe and dirtiness, the default branch, the CI system and its
pull request, the date, and the tag read as a release (semver or
CalVer). CI variables (GitHub Actions, GitLab CI, Azure Pipelines,
Jenkins, Buildkite) fill in what git cannot tell; --context KEY=VALUE
overrides any of it, so vet and plan can be reproduced for any build, and
--context var.NAME=VALUE adds a value of the pipeline's as vars.NAME.`)
	contexts := contextFlag(cmd.flags)
	cmd.run = func(ctx context.Context, args []string) error {
		arg, err := oneArg("context", args)
		if err != nil {
			return err
		}
		file, err := spec.Find(arg)
		if err != nil {
			return err
		}
		info, err := buildContext(ctx, file, *contexts, true)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	return cmd
}
