package cli

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue/format"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/internal/workflowscan"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/ref"
	"github.com/bricklayer-build/bricklayer/spec"
)

func (c *CLI) initCommand() *command {
	cmd := newCommand("init", "", "write a starter bricklayer.cue in the current directory", `
Init writes a bricklayer.cue for the current directory: one image per
Dockerfile it finds (Dockerfile, Dockerfile.NAME, NAME.Dockerfile) there
or up to 4 directories below (not in vendor, third_party, node_modules,
test, tests, testdata, fixtures, e2e or hidden directories but .docker),
each built with its directory as the context. When it finds none it
writes nothing and exits 1. Its policy tags branch builds with the
branch, and releases (git tag v1.2.3) with 1.2.3, 1.2, 1 and latest,
which moves only to the highest release. The result passes bricklayer vet; edit the
repositories and tags to taste.

An image's name is the last part of --repository (default the
directory's name); Dockerfile.NAME adds -NAME to both, and so does the
directory (src/api/Dockerfile: -src-api) when Dockerfiles are in
several. Per-architecture Dockerfiles (Dockerfile.armhf, .aarch64,
.riscv64, docker/arm/Dockerfile beside docker/amd/Dockerfile) are one
image with the Dockerfile they stand in for, each platform built from
its own (platform: "linux/arm/v7": dockerfile: "Dockerfile.armhf"). Its platforms are
--platform, else what its base images serve when their names tell
(arm32v7/..., arm64v8/..., balenalib/raspberrypi3-...), else the three
usual ones, with a note to check that the base images serve them.

It reads the GitHub workflows it replaces (.github/workflows): docker
buildx build and docker build command lines, docker/build-push-action
steps, and docker buildx bake (or docker/bake-action) with the bake file
it reads. A build of a Dockerfile it found gives that image its
platforms, repository, context, Dockerfile, target, literal build args,
and tags: latest is the policy's, rpi-TAG or TAG-armhf beside TAG an
alias, other literal tags listed. What it cannot carry over (secrets,
cache, outputs, tags CI computes, the shell around the command) is
printed as FILE:LINE: not carried over: WHAT (WHY).`)
	repo := cmd.flags.String("repository", "", "repository to publish to (default ghcr.io/example/DIRNAME)")
	plats := cmd.flags.StringSlice("platform", nil, "platforms to build (default: what the base images serve, else linux/amd64, linux/arm64, linux/arm/v7)")
	force := cmd.flags.Bool("force", false, "overwrite an existing bricklayer.cue")
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageErrorf("init takes no arguments; it writes ./%s", spec.FileName)
		}
		for _, p := range *plats {
			if _, err := platform.Parse(p); err != nil {
				return usageErrorf("init: --platform: %v", err)
			}
		}
		// What vet would refuse in the written spec is refused here.
		if *repo != "" {
			if _, err := ref.ParseRepository(*repo); err != nil {
				return usageErrorf("init: --repository: %v", err)
			}
		}
		if _, err := os.Stat(spec.FileName); err == nil && !*force {
			return fmt.Errorf("%s already exists (use --force to overwrite)", spec.FileName)
		}
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		base := *repo
		if base == "" {
			base = "ghcr.io/example/" + imageName(filepath.Base(wd))
		}
		found, err := dockerfiles(".")
		if err != nil {
			return fmt.Errorf("init: looking for Dockerfiles: %w", err)
		}
		// A made-up image would pass vet and plan and publish nothing the
		// project builds: better to say so and write nothing.
		if len(found) == 0 {
			return fmt.Errorf("init: no Dockerfile here or up to %d directories below (vendor, node_modules, test and hidden directories skipped); nothing written: write %s by hand (bricklayer schema prints the language)", maxInitDepth, spec.FileName)
		}
		wf, err := workflowscan.Scan(ctx, ".")
		if err != nil {
			return fmt.Errorf("init: reading the workflows: %w", err)
		}
		matchBuilds(found, &wf)
		images, notes := starterImages(base, *plats, found)
		notes = append(notes, applyBuilds(images, found, *repo != "", len(*plats) > 0, &wf)...)
		out, err := format.Source([]byte(starter(images)))
		if err != nil {
			return fmt.Errorf("internal error: formatting the starter spec: %w", err)
		}
		if err := safefile.Write(spec.FileName, out, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", spec.FileName, err)
		}
		c.printDropped(wf.Dropped)
		for _, n := range notes {
			fmt.Fprintf(c.stdout, "note: %s\n", n)
		}
		fmt.Fprintf(c.stdout, "wrote %s; check it with: bricklayer vet\n", spec.FileName)
		return nil
	}
	return cmd
}

// defaultPlatforms are init's when nothing tells better.
var defaultPlatforms = []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}

// starterImage is one image init writes.
type starterImage struct {
	name, repository    string
	context, dockerfile string
	platforms           []string
	notes               []string // comments above it
	// overrides are the other platforms' Dockerfiles of a family.
	overrides []platformFile
	// What the workflows that build it say (applyBuilds).
	target  string
	args    []workflowscan.Arg
	tags    []string
	aliases []starterAlias
}

// starterImages turns what init found into images, and notes for the user.
func starterImages(repo string, plats []string, files []foundDockerfile) ([]starterImage, []string) {
	name := imageName(path.Base(repo))
	var out []starterImage
	var notes []string
	taken := map[string]bool{}
	for _, f := range files {
		im := starterImage{name: name, repository: repo, dockerfile: f.file, platforms: plats}
		if f.name != "" {
			im.name = imageName(name + "-" + f.name)
			im.repository = repo + "-" + imageName(f.name)
		}
		// a-b/Dockerfile and a/b/Dockerfile would be one image twice.
		for i := 2; taken[im.name]; i++ {
			im.name = imageName(fmt.Sprintf("%s-%s-%d", name, f.name, i))
			im.repository = fmt.Sprintf("%s-%s-%d", repo, imageName(f.name), i)
		}
		taken[im.name] = true
		if f.context != "." {
			im.context = f.context
		}
		// CI's own context needs no guess explained.
		switch {
		case f.dir() == "." || f.ci != nil:
		case f.context == f.dir():
			im.notes = append(im.notes, fmt.Sprintf("Built as docker build %s does; built from the top (docker build -f %s .), it is context: \".\", dockerfile: %q.", f.context, f.path(), f.path()))
			notes = append(notes, fmt.Sprintf("%s: built with %s as its context", f.path(), f.context))
		default:
			im.notes = append(im.notes, fmt.Sprintf("Built in %s, as docker build -f %s %s does: what it copies is there.", f.context, f.path(), f.context))
			notes = append(notes, fmt.Sprintf("%s: built with %s as its context (what it copies is there, not in %s)", f.path(), f.context, f.dir()))
		}
		// The platforms CI builds are known to build.
		var ciPlats []string
		if f.ci != nil {
			ciPlats = f.ci.platforms
		}
		switch {
		case len(f.perPlatform) > 0:
			// One image for a family of per-architecture Dockerfiles,
			// each platform built from its own.
			if len(plats) == 0 {
				im.platforms = f.platforms
				for _, p := range ciPlats {
					if !slices.Contains(im.platforms, p) {
						im.platforms = append(slices.Clip(im.platforms), p)
					}
				}
			}
			var names []string
			for i, pf := range f.perPlatform {
				names = append(names, path.Join(pf.context, pf.file))
				if i > 0 && slices.Contains(im.platforms, pf.platform) {
					im.overrides = append(im.overrides, pf)
				}
			}
			notes = append(notes, fmt.Sprintf("%s: one image for %s, each platform from its Dockerfile", strings.Join(names, ", "), strings.Join(f.platforms, ", ")))
		case len(plats) > 0:
		case len(ciPlats) > 0:
			im.platforms = ciPlats
		case f.platforms != nil:
			im.platforms = f.platforms
			notes = append(notes, fmt.Sprintf("%s: built for %s, the platform %s serves", f.path(), strings.Join(f.platforms, ", "), strings.Join(f.bases, ", ")))
		default:
			im.platforms = defaultPlatforms
			if len(f.bases) > 0 {
				im.notes = append(im.notes, fmt.Sprintf("Check that %s serves these platforms (crane manifest %s).", strings.Join(f.bases, ", "), f.bases[0]))
				notes = append(notes, fmt.Sprintf("%s: check that %s serves %s", f.path(), strings.Join(f.bases, ", "), strings.Join(defaultPlatforms, ", ")))
			}
		}
		out = append(out, im)
	}
	return out, notes
}

var (
	nonName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-z0-9._-]+`) })
	identRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z_][a-z0-9_]*$`) })
	// cueIdentRE are names a CUE field may have unquoted and not hidden.
	cueIdentRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`) })
)

// imageName turns a directory name into a valid image name.
func imageName(dir string) string {
	n := strings.Trim(nonName().ReplaceAllString(strings.ToLower(dir), "-"), "-._")
	if n == "" {
		return "app"
	}
	return n
}

func starter(images []starterImage) string {
	var b strings.Builder
	b.WriteString("// What this repository publishes. Check it with `bricklayer vet`;\n")
	b.WriteString("// `bricklayer schema` prints the language.\n\n")
	// The platforms most images share go to the top level.
	top := images[0].platforms
	fmt.Fprintf(&b, "platforms: [%s]\n\n", quoteAll(top))
	// A written tags: ["latest"] would move latest on every branch push.
	b.WriteString(`// Branch builds: the branch's tag (main); releases (git tag v1.2.3):
// 1.2.3, 1.2, 1 and latest, which moves only to the highest release.
policy: {
	branch: true
	semver: true
	moving: "latest"
}

`)
	for _, im := range images {
		label := strconv.Quote(im.name)
		if identRE().MatchString(im.name) {
			label = im.name
		}
		for _, n := range im.notes {
			fmt.Fprintf(&b, "// %s\n", n)
		}
		fmt.Fprintf(&b, "images: %s: {\n", label)
		fmt.Fprintf(&b, "repository: %s\n", strconv.Quote(im.repository))
		if !slices.Equal(im.platforms, top) {
			fmt.Fprintf(&b, "platforms: [%s]\n", quoteAll(im.platforms))
		}
		writeBuildSource(&b, im)
		writeFromCI(&b, im)
		b.WriteString("}\n")
	}
	return b.String()
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = strconv.Quote(x)
	}
	return strings.Join(q, ", ")
}

// writeBuildSource writes the image's context and Dockerfile, and for a
// family each other platform's: defaults (*"x" | string) where a
// platform changes them, as unification does not overwrite.
func writeBuildSource(b *strings.Builder, im starterImage) {
	ctx := im.context
	if ctx == "" {
		ctx = "."
	}
	otherCtx := slices.ContainsFunc(im.overrides, func(o platformFile) bool { return o.context != ctx })
	switch {
	case im.context != "" && otherCtx:
		fmt.Fprintf(b, "context: *%s | string\n", strconv.Quote(im.context))
	case im.context != "":
		fmt.Fprintf(b, "context: %s\n", strconv.Quote(im.context))
	}
	if len(im.overrides) == 0 {
		fmt.Fprintf(b, "dockerfile: %s\n", strconv.Quote(im.dockerfile))
		return
	}
	fmt.Fprintf(b, "dockerfile: *%s | string\n", strconv.Quote(im.dockerfile))
	for _, o := range im.overrides {
		if o.context != ctx {
			fmt.Fprintf(b, "platform: %s: {context: %s, dockerfile: %s}\n", strconv.Quote(o.platform), strconv.Quote(o.context), strconv.Quote(o.file))
			continue
		}
		fmt.Fprintf(b, "platform: %s: dockerfile: %s\n", strconv.Quote(o.platform), strconv.Quote(o.file))
	}
}

// writeFromCI writes what the workflows that build the image set: its
// target, build args, tags and aliases.
func writeFromCI(b *strings.Builder, im starterImage) {
	if im.target != "" {
		fmt.Fprintf(b, "target: %s\n", strconv.Quote(im.target))
	}
	switch len(im.args) {
	case 0:
	case 1:
		fmt.Fprintf(b, "args: %s: %s\n", cueLabel(im.args[0].Name), strconv.Quote(im.args[0].Value))
	default:
		b.WriteString("args: {\n")
		for _, a := range im.args {
			fmt.Fprintf(b, "%s: %s\n", cueLabel(a.Name), strconv.Quote(a.Value))
		}
		b.WriteString("}\n")
	}
	if len(im.tags) > 0 {
		fmt.Fprintf(b, "tags: [%s]\n", quoteAll(im.tags))
	}
	if len(im.aliases) > 0 {
		var as []string
		for _, a := range im.aliases {
			var fs []string
			if a.prefix != "" {
				fs = append(fs, "prefix: "+strconv.Quote(a.prefix))
			}
			if a.suffix != "" {
				fs = append(fs, "suffix: "+strconv.Quote(a.suffix))
			}
			as = append(as, "{"+strings.Join(fs, ", ")+"}")
		}
		fmt.Fprintf(b, "aliases: [%s]\n", strings.Join(as, ", "))
	}
}

// cueLabel is s as a CUE field name: bare when it is a plain
// identifier (not _x, which CUE hides, nor #x, a definition).
func cueLabel(s string) string {
	if cueIdentRE().MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}
