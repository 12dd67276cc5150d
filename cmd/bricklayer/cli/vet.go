package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/llbgen"
	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

func (c *CLI) vetCommand() *command {
	cmd := newCommand("vet", "[FILE|DIR...]", "check a spec without building anything", `
Vet loads the spec (FILE, or bricklayer.cue in DIR; default the current
directory), unifies it with the embedded schema and checks what the schema
cannot: platform strings, repository references, tags, references between
stages and images, cycles, the build context and Dockerfile on disk (each
Dockerfile parsed and converted by BuildKit's own code), and copy sources
that leave the context.

It needs no daemon and no network, so it fits a pre-commit hook. A valid
spec prints nothing and exits 0; every mistake prints one line,
FILE:LINE:COL: PATH: message, and the exit code is 1.

Each Dockerfile also goes through BuildKit's Dockerfile checks, those of
docker build --check, for every platform of its image. A finding prints
once, at the Dockerfile's line, with the images (and platforms, when not
all of an image's) that share it:

  Dockerfile:5:1: warning: MaintainerDeprecated: MESSAGE [image api] URL

Findings are warnings, but with # check=error=true in the Dockerfile,
checks: error: true in the spec (top level or per image), or --strict;
then they print without "warning:" and vet exits 1. # check=skip=RULE
and checks: skip: ["RULE"] (or "all") leave rules out. The rules:
`+wrapList(spec.CheckRules(), 72)+`.

--format json prints the findings on stdout instead, one document per
spec:

  {"spec": FILE, "findings": [{"file", "line", "column", "rule", "url",
   "message", "images", "platforms", "level": "warning" or "error"}]}`)
	verbose := cmd.flags.BoolP("verbose", "v", false, "print a summary of the images")
	strict := cmd.flags.Bool("strict", false, "make every finding of the Dockerfile checks an error")
	format := cmd.flags.String("format", "text", "output format of the Dockerfile checks' findings: text (on stderr) or json (on stdout)")
	contexts := contextFlag(cmd.flags)
	sets := setFlag(cmd.flags)
	cmd.run = func(ctx context.Context, args []string) error {
		arg, err := oneArg("vet", args)
		if err != nil {
			return err
		}
		if *format != "text" && *format != "json" {
			return usageErrorf("vet: --format must be text or json, not %q", *format)
		}
		if *format == "json" && *verbose {
			return usageErrorf("vet: --verbose prints text; leave it out with --format json")
		}
		s, err := c.load(ctx, arg, *contexts, *sets...)
		if err != nil {
			return err
		}
		s.Release() // nothing here exports the spec; a large plan needs the memory
		// A lock beside the spec must cover it, as go.sum does.
		if _, lf, err := lockResolver(s); err != nil {
			return err
		} else if lf != nil {
			if err := checkLock(ctx, s, lf); err != nil {
				return err
			}
		}
		// Convert the Dockerfiles as plan would, offline, checking them.
		found, err := plan.Check(ctx, s)
		if *strict {
			for i := range found {
				found[i].Error = true
			}
			found = llbgen.MergeFindings(found) // a warning and an error at one place are one error now
		}
		if *format == "json" {
			if jerr := c.writeFindingsJSON(s, found); jerr != nil {
				return jerr
			}
		} else {
			c.writeFindings(s, found)
		}
		if err != nil {
			return err
		}
		if n := countErrors(found); n > 0 {
			return fmt.Errorf("the Dockerfile checks found %d error(s)", n)
		}
		if *verbose {
			c.summary(s)
		}
		return nil
	}
	// One spec at a time: pre-commit passes every spec file it matched.
	cmd.run = c.perArg(cmd.run)
	return cmd
}

func (c *CLI) summary(s *spec.Spec) {
	fmt.Fprintf(c.stdout, "%s: %d image(s)\n", s.File, len(s.ImageNames))
	for _, name := range s.ImageNames {
		im := s.Images[name]
		source := "from " + im.From
		if im.Dockerfile != "" {
			source = "dockerfile " + im.Dockerfile
		}
		fmt.Fprintf(c.stdout, "  %s: %s (%s) [%s] tags: %s\n", name, im.Repository, source,
			platform.Join(im.Platforms), strings.Join(im.Tags, ", "))
		if len(im.AliasTags) > 0 {
			fmt.Fprintf(c.stdout, "    aliases: %s\n", strings.Join(im.AliasTags, ", "))
		}
		if syn := im.SyntaxDirective(); syn != "" {
			fmt.Fprintf(c.stdout, "    note: %s\n", syntaxNote(im.Dockerfile, syn))
		}
		unused := im.UnusedArgs()
		for _, k := range unused {
			if im.Dockerfile != "" {
				fmt.Fprintf(c.stdout, "    warning: args.%s is declared by no ARG of %s: it changes nothing in the image\n", k, im.Dockerfile)
			} else {
				fmt.Fprintf(c.stdout, "    warning: args.%s is declared by no arg step and the image runs no command: it changes nothing in the image\n", k)
			}
		}
		for _, k := range spec.SortedKeys(im.Args) {
			if what := volatile(s.Build, im.Args[k]); what != "" && !slices.Contains(unused, k) {
				fmt.Fprintf(c.stdout, "    note: args.%s holds the build's %s: the image changes with every build, so it is not reproducible\n", k, what)
			}
		}
	}
}

// volatile tells which value of the build context that changes between
// builds of one commit v holds, if any.
func volatile(b *buildinfo.Info, v string) string {
	switch {
	case b == nil:
	case b.Date != "" && strings.Contains(v, b.Date):
		return "date"
	case b.Dirty && b.Describe != "" && strings.Contains(v, b.Describe):
		return "describe of a dirty tree"
	}
	return ""
}

// syntaxNote says that the Dockerfile's # syntax= line is ignored.
func syntaxNote(dockerfile, syntax string) string {
	return fmt.Sprintf("%s asks for the frontend %s (# syntax=): ignored; bricklayer converts it with BuildKit %s's built-in Dockerfile converter", dockerfile, syntax, builders.BuildKitVersion)
}
