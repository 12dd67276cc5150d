package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue/format"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/spec"
)

func (c *CLI) initCommand() *command {
	cmd := newCommand("init", "", "write a starter bricklayer.cue in the current directory", `
Init writes a bricklayer.cue for the current directory: an image built from
./Dockerfile when there is one, else an image built by native steps. The
result passes bricklayer vet; edit the repository and tags to taste.`)
	repo := cmd.flags.String("repository", "", "repository to publish to (default ghcr.io/example/DIRNAME)")
	plats := cmd.flags.StringSlice("platform", []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}, "platforms to build")
	force := cmd.flags.Bool("force", false, "overwrite an existing bricklayer.cue")
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageErrorf("init takes no arguments; it writes ./%s", spec.FileName)
		}
		for _, p := range *plats {
			if _, err := spec.ParsePlatform(p); err != nil {
				return usageErrorf("init: --platform: %v", err)
			}
		}
		if _, err := os.Stat(spec.FileName); err == nil && !*force {
			return fmt.Errorf("%s already exists (use --force to overwrite)", spec.FileName)
		}
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		name := imageName(filepath.Base(wd))
		if *repo == "" {
			*repo = "ghcr.io/example/" + name
		}
		_, err = os.Stat("Dockerfile")
		src := starter(name, *repo, *plats, err == nil)
		out, err := format.Source([]byte(src))
		if err != nil {
			return fmt.Errorf("internal error: formatting the starter spec: %w", err)
		}
		if err := safefile.Write(spec.FileName, out, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", spec.FileName, err)
		}
		fmt.Fprintf(c.stdout, "wrote %s; check it with: bricklayer vet\n", spec.FileName)
		return nil
	}
	return cmd
}

var (
	nonName = regexp.MustCompile(`[^a-z0-9._-]+`)
	identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// imageName turns a directory name into a valid image name.
func imageName(dir string) string {
	n := strings.Trim(nonName.ReplaceAllString(strings.ToLower(dir), "-"), "-._")
	if n == "" {
		return "app"
	}
	return n
}

func starter(name, repo string, plats []string, dockerfile bool) string {
	var b strings.Builder
	b.WriteString("// What this repository publishes. Check it with `bricklayer vet`;\n")
	b.WriteString("// `bricklayer schema` prints the language.\n\n")
	quoted := make([]string, len(plats))
	for i, p := range plats {
		quoted[i] = strconv.Quote(p)
	}
	fmt.Fprintf(&b, "platforms: [%s]\n\n", strings.Join(quoted, ", "))
	label := strconv.Quote(name)
	if identRE.MatchString(name) {
		label = name
	}
	fmt.Fprintf(&b, "images: %s: {\n", label)
	fmt.Fprintf(&b, "repository: %s\n", strconv.Quote(repo))
	if dockerfile {
		b.WriteString("dockerfile: \"Dockerfile\"\n")
	} else {
		b.WriteString(`from: "debian:bookworm-slim"
steps: [
	{copy: ".", dest: "/app/"},
]
workdir: "/app"
cmd: ["/bin/sh"]
`)
	}
	b.WriteString("tags: [\"latest\"]\n}\n")
	return b.String()
}
