package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/ref"
)

func (c *CLI) planCommand() *command {
	cmd := newCommand("plan", "[FILE|DIR]", "show what a build would do, without a daemon", `
Plan loads the spec, lowers every image for every platform to LLB and
prints, per image, its repository, tags and platforms, and per platform
the digest of its LLB graph and its number of ops. It needs no daemon and
no network: base images are not resolved (their configs are merged at
build time), so digests may differ from the graphs a build solves.

The same spec gives the same digests on every run and machine; changing
one image changes only that image's digests (and those of the images
built from it).

--format json prints the same as one JSON document:

  {"spec": FILE, "buildPlatform": P, "build": {the build context},
   "images": [{"name", "repository", "tags", "aliases", "references",
               "platforms": [{"platform", "digest", "ops"}],
               "unresolved": [base images not resolved offline]}]}`)
	format := cmd.flags.String("format", "text", "output format: text or json")
	buildPlatform := cmd.flags.String("build-platform", "linux/amd64", "platform that build-platform stages run on")
	contexts := contextFlag(cmd.flags)
	sets := setFlag(cmd.flags)
	cmd.run = func(ctx context.Context, args []string) error {
		arg, err := oneArg("plan", args)
		if err != nil {
			return err
		}
		if *format != "text" && *format != "json" {
			return usageErrorf("plan: --format must be text or json, not %q", *format)
		}
		bp, err := parsePlatform("--build-platform", *buildPlatform)
		if err != nil {
			return err
		}
		s, err := c.load(ctx, arg, *contexts, *sets...)
		if err != nil {
			return err
		}
		s.Release() // the plan of a large spec needs the memory
		lr, _, err := lockResolver(s)
		if err != nil {
			return err
		}
		po := plan.Options{BuildPlatform: &bp}
		if lr != nil {
			po.Resolver = lr
		}
		pl, err := plan.Make(ctx, s, po)
		if err != nil {
			return err
		}
		c.writeFindings(s, pl.Findings())
		p := planDocOf(pl)
		if *format == "json" {
			enc := json.NewEncoder(c.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(p)
		}
		p.writeText(c.stdout)
		return nil
	}
	return cmd
}

// planDoc is the document plan prints; its JSON form is documented in
// the command's help and docs/building.md.
type planDoc struct {
	Spec          string          `json:"spec"`
	BuildPlatform string          `json:"buildPlatform"`
	Build         *buildinfo.Info `json:"build"`
	Images        []planImage     `json:"images"`
	// buildRead tells whether Build came from git and the CI.
	buildRead bool
}

type planImage struct {
	Name       string `json:"name"`
	Repository string `json:"repository"`
	// Mirrors are the image's other repositories, which get the same
	// index under the same tags.
	Mirrors    []string       `json:"mirrors,omitempty"`
	Tags       []string       `json:"tags"`
	Aliases    []string       `json:"aliases"`
	References []string       `json:"references"`
	Platforms  []planPlatform `json:"platforms"`
	Unresolved []string       `json:"unresolved,omitempty"`
	// Syntax is the ignored # syntax= line of the Dockerfile.
	Syntax *planSyntax `json:"syntax,omitempty"`
}

// planSyntax is a Dockerfile's # syntax= frontend, which bricklayer
// ignores for the converter it is built with.
type planSyntax struct {
	Frontend  string `json:"frontend"`
	Converter string `json:"converter"` // BuildKit vX.Y.Z
	Ignored   bool   `json:"ignored"`
}

type planPlatform struct {
	Platform platform.Platform `json:"platform"`
	Digest   string            `json:"digest"`
	Ops      int               `json:"ops"`
}

// planDocOf renders a plan as the document plan prints.
func planDocOf(pl *plan.Plan) *planDoc {
	s := pl.Spec
	p := &planDoc{Spec: s.File, BuildPlatform: pl.BuildPlatform.String(), Build: s.Build, Images: []planImage{}, buildRead: s.BuildRead}
	for _, im := range pl.Images {
		pi := planImage{Name: im.Name, Repository: im.Repository, Tags: nonNil(im.Tags), Aliases: nonNil(im.Aliases), References: []string{}}
		if im.Syntax != "" {
			pi.Syntax = &planSyntax{Frontend: im.Syntax, Converter: "BuildKit " + builders.BuildKitVersion, Ignored: true}
		}
		for _, repo := range im.Repositories {
			for _, t := range im.AllTags() {
				pi.References = append(pi.References, ref.Tagged(repo, t))
			}
		}
		if len(im.Repositories) > 1 {
			pi.Mirrors = im.Repositories[1:]
		}
		for _, t := range im.Targets {
			pi.Platforms = append(pi.Platforms, planPlatform{Platform: t.Platform, Digest: t.Digest.String(), Ops: t.Ops})
			for _, u := range t.Unresolved {
				if !slices.Contains(pi.Unresolved, u) {
					pi.Unresolved = append(pi.Unresolved, u)
				}
			}
		}
		p.Images = append(p.Images, pi)
	}
	return p
}

func (p *planDoc) writeText(w io.Writer) {
	fmt.Fprintf(w, "build: %s\n\n", describeBuild(p.Build, p.buildRead))
	for i, im := range p.Images {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s  %s\n", im.Name, im.Repository)
		if len(im.Mirrors) > 0 {
			fmt.Fprintf(w, "  also to: %s\n", strings.Join(im.Mirrors, ", "))
		}
		tags := strings.Join(im.Tags, ", ")
		if tags == "" {
			tags = "(none: built, not published)"
		}
		fmt.Fprintf(w, "  tags: %s\n", tags)
		if len(im.Aliases) > 0 {
			fmt.Fprintf(w, "  aliases: %s\n", strings.Join(im.Aliases, ", "))
		}
		for _, pp := range im.Platforms {
			if pp.Ops == 0 {
				fmt.Fprintf(w, "  %-14s (empty: scratch and no steps)\n", pp.Platform)
				continue
			}
			fmt.Fprintf(w, "  %-14s %s  %d ops\n", pp.Platform, pp.Digest, pp.Ops)
		}
		if len(im.Unresolved) > 0 {
			fmt.Fprintf(w, "  unresolved until build: %s\n", strings.Join(im.Unresolved, ", "))
		}
		if im.Syntax != nil {
			fmt.Fprintf(w, "  note: # syntax=%s ignored: converted with %s's built-in Dockerfile converter\n", im.Syntax.Frontend, im.Syntax.Converter)
		}
	}
}

// describeBuild is one line on what kind of build the tags are for. read
// is false when git and the CI were not asked: then an empty context
// says so, not that there is no branch.
func describeBuild(b *buildinfo.Info, read bool) string {
	if b == nil {
		return "no context"
	}
	var parts []string
	switch {
	case b.PullRequest != "":
		parts = append(parts, "pull request "+b.PullRequest)
	case b.Version != nil && b.Branch != "":
		// The rule a branch push of a tagged commit surprises users with.
		parts = append(parts, fmt.Sprintf("release %s (%s; the commit carries release tag %s, which wins over branch %s)", b.Version.Full, b.Version.Scheme, b.Tag, b.Branch))
	case b.Version != nil:
		parts = append(parts, fmt.Sprintf("release %s (%s)", b.Version.Full, b.Version.Scheme))
	case b.Branch != "":
		parts = append(parts, "branch "+b.Branch)
	case !read:
		parts = append(parts, "not read (the spec refers to no build, policy or epoch: its tags do not depend on it)")
	default:
		parts = append(parts, "no branch or release tag")
	}
	if b.Tag != "" && b.Version == nil {
		parts = append(parts, "tag "+b.Tag+" (no release: neither semver nor CalVer reads it)")
	}
	if b.ShortSHA != "" {
		parts = append(parts, "commit "+b.ShortSHA)
	}
	if b.Dirty {
		parts = append(parts, "dirty")
	}
	if b.CI != "" {
		parts = append(parts, "on "+b.CI)
	}
	return strings.Join(parts, ", ")
}

func parsePlatform(flag, s string) (platform.Platform, error) {
	p, err := platform.Parse(s)
	if err != nil {
		return platform.Platform{}, usageErrorf("%s: %v", flag, err)
	}
	return p, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
