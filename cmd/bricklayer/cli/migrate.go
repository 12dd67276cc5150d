package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/bricklayer-build/bricklayer/compose"
	"github.com/bricklayer-build/bricklayer/spec"
)

func (c *CLI) migrateCommand() *command {
	cmd := newCommand("migrate", "compose FILE...", "rewrite compose files from alias tags to canonical ones", `
migrate compose rewrites the image references of docker-compose files from
the alias tags the spec declares to their canonical tags
(brewblox/ui:rpi-edge -> brewblox/ui:edge), for the spec's repositories
and aliases only, keeping comments, order and formatting. It prints a
diff; --write edits the files in place; --check exits 1 when something
would change (for CI and pre-commit).

--merge takes per-architecture variants of one compose file
(docker-compose.yml docker-compose.rpi.yml) and, when they differ only in
alias tags, prints the merged file (with --write: writes it to the first).
Otherwise it names the first difference and exits 1.`)
	specArg := cmd.flags.String("spec", ".", "the spec (FILE or DIR) that declares repositories and aliases")
	write := cmd.flags.Bool("write", false, "edit the files in place")
	check := cmd.flags.Bool("check", false, "write nothing; exit 1 if a file would change")
	merge := cmd.flags.Bool("merge", false, "merge per-architecture variants of one compose file")
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) < 2 || args[0] != "compose" {
			return usageErrorf("usage: bricklayer migrate compose FILE...")
		}
		files := args[1:]
		if *write && *check {
			return usageErrorf("migrate: --write and --check exclude each other")
		}
		s, err := c.load(ctx, *specArg, nil)
		if err != nil {
			return err
		}
		rules := aliasRules(s)
		if len(rules) == 0 {
			return fmt.Errorf("%s declares no aliases: there is nothing to migrate", s.File)
		}
		if *merge {
			return c.mergeCompose(files, rules, *write, *check)
		}
		changed := false
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			out, changes, err := compose.Rewrite(src, rules)
			if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			if len(changes) == 0 {
				continue
			}
			changed = true
			fmt.Fprint(c.stdout, compose.Diff(f, src, out))
			if *write {
				if err := writeKeepingMode(f, out); err != nil {
					return err
				}
			}
		}
		if *check && changed {
			return &checkFailed{msg: "bricklayer: compose files refer to alias tags (bricklayer migrate compose --write fixes them)"}
		}
		return nil
	}
	return cmd
}

func (c *CLI) mergeCompose(files []string, rules []compose.Rule, write, check bool) error {
	if len(files) < 2 {
		return usageErrorf("migrate compose --merge takes at least two files")
	}
	srcs := map[string][]byte{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		srcs[f] = src
	}
	out, err := compose.Merge(srcs, files, rules)
	if err != nil {
		return err
	}
	switch {
	case check:
		return nil // they merge
	case write:
		return writeKeepingMode(files[0], out)
	}
	_, err = c.stdout.Write(out)
	return err
}

// aliasRules are the spec's repositories with their aliases.
func aliasRules(s *spec.Spec) []compose.Rule {
	var rules []compose.Rule
	for _, name := range s.ImageNames {
		im := s.Images[name]
		if len(im.Aliases) == 0 || im.Repository == "" {
			continue
		}
		r := compose.Rule{Repository: im.Repository}
		for _, a := range im.Aliases {
			r.Aliases = append(r.Aliases, compose.Alias{Prefix: a.Prefix, Suffix: a.Suffix})
		}
		rules = append(rules, r)
	}
	return rules
}

func writeKeepingMode(file string, data []byte) error {
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, data, fi.Mode().Perm()); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}
