package cli

import (
	"context"
	"os"
	"path/filepath"

	"github.com/bricklayer-build/bricklayer/compose"
)

// maxComposeSize is the largest compose (or .env) file migrate reads.
const maxComposeSize = 16 << 20

func (c *CLI) migrateCommand() *command {
	cmd := newCommand("migrate", "compose FILE|DIR...", "rewrite compose files from alias tags to canonical ones", `
migrate compose rewrites the image references of compose files from the
alias tags the spec declares to their canonical tags
(brewblox/ui:rpi-edge -> brewblox/ui:edge, acme/api:rpi-${RELEASE} ->
acme/api:${RELEASE}), for the spec's repositories and aliases only,
keeping comments, order and formatting. A literal alias tag is rewritten
only when the spec publishes its canonical tag (-v says which are left
alone and why). A DIR stands for its compose files (compose.yaml,
compose.yml, docker-compose.yml, docker-compose.*.yml).

It prints a diff; --write edits the files in place (each written whole,
and none when any of them is malformed); --check exits 1 when something
would change (for CI and pre-commit). --verify reads each file before and
after as compose does (variables from the environment and .env) and fails
unless only the rewritten references differ; it refuses files with
extends, include, !reset or !override, which it does not follow.

The spec is --spec (repeatable: the aliases of all of them apply), else
the bricklayer.cue nearest above each compose file. A spec without
aliases leaves nothing to migrate: no change, exit 0 (-v says so).

--merge takes per-architecture variants of one compose file
(docker-compose.yml docker-compose.rpi.yml) and, when compose reads them
the same once alias tags are canonical and Docker Official Images'
per-architecture repositories (arm32v6/rabbitmq) are the multi-platform
ones (rabbitmq), and an image without a tag is its :latest (a variable
tag is not, whatever its default), prints the first, so rewritten (with --write: writes it
to the first file; with --check: exits 1 when that would change it).
Otherwise it names the first difference and exits 1. The variants must be
in one directory.`)
	specArgs := cmd.flags.StringArray("spec", nil, "the spec (FILE or DIR) that declares repositories and aliases (default: the nearest bricklayer.cue above each file)")
	write := cmd.flags.Bool("write", false, "edit the files in place")
	check := cmd.flags.Bool("check", false, "write nothing; exit 1 if a file would change")
	merge := cmd.flags.Bool("merge", false, "merge per-architecture variants of one compose file")
	verify := cmd.flags.Bool("verify", false, "check that compose reads only the rewritten references differently")
	verbose := cmd.flags.BoolP("verbose", "v", false, "say which alias references are left alone, and why")
	contexts := contextFlag(cmd.flags)
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) < 2 || args[0] != "compose" {
			return usageErrorf("usage: bricklayer migrate compose FILE|DIR...")
		}
		if *write && *check {
			return usageErrorf("migrate: --write and --check exclude each other")
		}
		files, err := composeFiles(args[1:], *merge)
		if err != nil {
			return err
		}
		m := &migration{c: c, ctx: ctx, overrides: *contexts, verbose: *verbose, verify: *verify, specs: map[string][]compose.Rule{}}
		if len(*specArgs) > 0 {
			m.hasFixed = true
			if m.fixed, err = m.rulesOf(*specArgs...); err != nil {
				return err
			}
		}
		if *merge {
			return m.merge(files, *write, *check)
		}
		return m.rewrite(files, *write, *check)
	}
	return cmd
}

// composeFiles are the files named, DIRs replaced by their compose files,
// each once; a file named twice is a usage error for --merge.
func composeFiles(args []string, merge bool) ([]string, error) {
	files, err := namedFiles(args, merge)
	if err != nil || !merge {
		return files, err
	}
	if len(files) < 2 {
		return nil, usageErrorf("migrate compose --merge takes at least two files")
	}
	return files, mergeable(files)
}

// namedFiles are the files named, DIRs replaced by their compose files,
// each once (with merge, a name twice is a usage error).
func namedFiles(args []string, merge bool) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	for _, a := range args {
		names := []string{a}
		if fi, err := os.Stat(a); err == nil && fi.IsDir() {
			found, err := compose.Files(a)
			if err != nil {
				return nil, usageErrorf("migrate compose: %v", err)
			}
			names = found
		}
		for _, f := range names {
			key := filepath.Clean(f)
			if seen[key] {
				if merge {
					return nil, usageErrorf("migrate compose --merge: %s is named twice", f)
				}
				continue
			}
			seen[key] = true
			files = append(files, f)
		}
	}
	return files, nil
}

// mergeable refuses, as usage errors, variants that are one file under
// two names (a link, a path through a link), which --merge would call
// the same, and variants in different directories, where compose reads
// their relative paths (build contexts, env_file, bind mounts) as
// different places, which the comparison does not see.
func mergeable(files []string) error {
	infos := make([]os.FileInfo, len(files))
	for i, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return err
		}
		for j, prev := range infos[:i] {
			if os.SameFile(prev, fi) {
				return usageErrorf("migrate compose --merge: %s and %s are the same file", files[j], f)
			}
		}
		infos[i] = fi
	}
	first, err := os.Stat(filepath.Dir(files[0]))
	if err != nil {
		return err
	}
	for _, f := range files[1:] {
		dir, err := os.Stat(filepath.Dir(f))
		if err != nil {
			return err
		}
		if !os.SameFile(first, dir) {
			return usageErrorf("migrate compose --merge: %s and %s are in different directories, where their relative paths would mean different places", files[0], f)
		}
	}
	return nil
}

// migration is one run of migrate compose.
type migration struct {
	c         *CLI
	ctx       context.Context
	overrides []string
	verbose   bool
	verify    bool
	fixed     []compose.Rule            // from --spec
	hasFixed  bool                      // --spec was given, even one without aliases
	specs     map[string][]compose.Rule // by spec file, for the nearest-spec lookup
}
