package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session/secrets/secretsprovider"

	"github.com/bricklayer-build/bricklayer/build"
	"github.com/bricklayer-build/bricklayer/spec"
)

func (c *CLI) buildCommand() *command {
	cmd := newCommand("build", "[FILE|DIR] [IMAGE...]", "build images on BuildKit and publish them", `
Build solves every selected image (default: all) for all its platforms on a
BuildKit daemon, one session per image, platforms and images concurrently.
The first argument is the spec when it names an existing file or
directory; the others name images.

Outputs:
  --push                         push each image to its repository as one
                                 index, by digest; then, once every image of
                                 the run succeeded, move all its tags to it.
                                 A failure anywhere moves no tag.
  --output type=oci,dest=F.tar   write an OCI layout (tar=false: a
                                 directory); with several images, dest is a
                                 directory with one layout per image.
With neither, the results stay in the BuildKit cache.

The daemon is --addr, else $BUILDKIT_HOST, else
unix:///run/buildkit/buildkitd.sock (bricklayer builder bootstrap starts one).
Registry credentials come from the Docker config (~/.docker/config.json,
$DOCKER_CONFIG, credential helpers).`)
	addr := cmd.flags.String("addr", "", "BuildKit daemon address (default $BUILDKIT_HOST or "+build.DefaultAddr+")")
	push := cmd.flags.Bool("push", false, "push the images and move their tags")
	output := cmd.flags.String("output", "", "export as an OCI layout: type=oci,dest=PATH[,tar=false]")
	insecure := cmd.flags.StringArray("insecure-registry", nil, "registry HOST[:PORT] reached over plain HTTP (repeatable)")
	args := cmd.flags.StringArray("arg", nil, "build arg K=V, overriding the spec's (repeatable)")
	secrets := cmd.flags.StringArray("secret", nil, "build secret id=ID,src=FILE or id=ID,env=VAR (repeatable)")
	progress := cmd.flags.String("progress", "auto", "progress display: auto, tty, plain, rawjson or quiet")
	metadata := cmd.flags.String("metadata-file", "", "write digests, platforms, tags and timings as JSON to FILE")
	plats := cmd.flags.StringArray("platform", nil, "build only this platform of each image (repeatable; images without it are skipped)")
	contexts := contextFlag(cmd.flags)
	nodes := nodeFlags(cmd.flags)
	cacheTo := cmd.flags.StringArray("cache-to", nil, "export build cache, one per image and platform: type=registry,ref=REF[,mode=max] | type=local,dest=DIR | type=inline (repeatable)")
	cacheFrom := cmd.flags.StringArray("cache-from", nil, "import build cache: type=registry,ref=REF | type=local,src=DIR (repeatable)")
	noCache := cmd.flags.Bool("no-cache", false, "run every step again")
	epoch := cmd.flags.String("source-date-epoch", "", "reproducible images: Unix seconds to clamp times to (default $SOURCE_DATE_EPOCH, else the spec's epoch)")
	cmd.run = func(ctx context.Context, pos []string) error {
		opts := build.Options{
			Addr:     *addr,
			Push:     *push,
			Insecure: *insecure,
			Progress: *progress,
			Stderr:   c.stderr,
		}
		switch *progress {
		case "auto", "tty", "plain", "rawjson", "quiet":
		default:
			return usageErrorf("build: --progress must be auto, tty, plain, rawjson or quiet")
		}
		var err error
		if opts.Args, err = parseArgs(*args); err != nil {
			return err
		}
		if opts.Secrets, err = parseSecrets(*secrets); err != nil {
			return err
		}
		for _, p := range *plats {
			norm, err := spec.NormalizePlatform(p)
			if err != nil {
				return usageErrorf("build: --platform: %v", err)
			}
			opts.Platforms = append(opts.Platforms, norm)
		}
		if *output != "" {
			if opts.Output, err = build.ParseOutput(*output); err != nil {
				return usageErrorf("build: %v", err)
			}
		}
		if opts.Builder, err = nodes.builder(); err != nil {
			return err
		}
		opts.NoCache = *noCache
		for _, c := range *cacheTo {
			e, err := build.ParseCache(c)
			if err != nil {
				return usageErrorf("build: --cache-to: %v", err)
			}
			opts.CacheTo = append(opts.CacheTo, e)
		}
		for _, c := range *cacheFrom {
			e, err := build.ParseCache(c)
			if err != nil {
				return usageErrorf("build: --cache-from: %v", err)
			}
			opts.CacheFrom = append(opts.CacheFrom, e)
		}
		if *epoch == "" {
			*epoch = os.Getenv("SOURCE_DATE_EPOCH")
		}
		if *epoch != "" {
			n, err := strconv.ParseInt(*epoch, 10, 64)
			if err != nil || n < 0 {
				return usageErrorf("build: --source-date-epoch %q: want Unix seconds", *epoch)
			}
			t := time.Unix(n, 0).UTC()
			opts.Epoch = &t
		}
		arg := "."
		if len(pos) > 0 {
			if _, err := os.Stat(pos[0]); err == nil {
				arg, pos = pos[0], pos[1:]
			}
		}
		opts.Images = pos
		s, err := c.load(ctx, arg, *contexts)
		if err != nil {
			return err
		}
		if opts.Epoch == nil {
			opts.Epoch = s.Epoch
		}
		if len(*cacheTo) == 0 && len(*cacheFrom) == 0 {
			// Checked, with their positions, when the spec was loaded.
			opts.CacheTo = parseCaches(s.CacheTo)
			opts.CacheFrom = parseCaches(s.CacheFrom)
		}
		for _, n := range opts.Images {
			if _, ok := s.Images[n]; !ok {
				return usageErrorf("build: no image %q in %s (images: %s)", n, s.File, strings.Join(s.ImageNames, ", "))
			}
		}
		results, err := build.Run(ctx, s, opts)
		if err != nil {
			if ctx.Err() != nil {
				var moved []string
				for _, r := range results {
					if r != nil {
						moved = append(moved, r.Tags...)
					}
				}
				msg := "bricklayer: interrupted; no tag was moved"
				if len(moved) > 0 {
					msg = "bricklayer: interrupted while moving tags; moved: " + strings.Join(moved, ", ")
				}
				return &exitError{code: ExitInterrupted, msg: msg}
			}
			return buildFailure(err)
		}
		if *metadata != "" {
			if err := writeMetadata(*metadata, results); err != nil {
				return err
			}
		}
		c.report(results, opts)
		return nil
	}
	return cmd
}

// buildFailure picks the exit code of a failed build.
func buildFailure(err error) error {
	var ue *build.UnreachableError
	if errors.As(err, &ue) {
		return &exitError{code: ExitNoDaemon, msg: "bricklayer: " + err.Error()}
	}
	return &exitError{code: ExitBuild, msg: "bricklayer: " + err.Error()}
}

func (c *CLI) report(results []*build.ImageResult, opts build.Options) {
	for _, r := range results {
		fmt.Fprintf(c.stdout, "%s  %s", r.Name, r.Repository)
		if r.Digest != "" {
			fmt.Fprintf(c.stdout, "@%s", r.Digest)
		}
		fmt.Fprintln(c.stdout)
		for _, p := range r.Platforms {
			fmt.Fprintf(c.stdout, "  %-14s %s\n", p.Platform, p.Digest)
		}
		for _, t := range r.Tags {
			fmt.Fprintf(c.stdout, "  tagged %s\n", t)
		}
		if r.Output != "" {
			fmt.Fprintf(c.stdout, "  OCI layout: %s\n", r.Output)
		}
	}
	if !opts.Push && opts.Output.Type == "" {
		fmt.Fprintln(c.stdout, "built; the results stay in the BuildKit cache (--push or --output exports them)")
	}
}

// metadataFile is the document --metadata-file writes.
type metadataFile struct {
	Images map[string]*build.ImageResult `json:"images"`
}

func writeMetadata(file string, results []*build.ImageResult) error {
	m := metadataFile{Images: map[string]*build.ImageResult{}}
	for _, r := range results {
		m.Images[r.Name] = r
	}
	dt, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, append(dt, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing metadata: %w", err)
	}
	return nil
}

func parseArgs(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range list {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usageErrorf("build: --arg %q: want KEY=VALUE", a)
		}
		out[k] = v
	}
	return out, nil
}

// parseSecrets reads --secret id=ID,src=FILE|env=VAR as buildx does.
func parseSecrets(list []string) ([]secretsprovider.Source, error) {
	var out []secretsprovider.Source
	for _, s := range list {
		fields, err := csv.NewReader(strings.NewReader(s)).Read()
		if err != nil {
			return nil, usageErrorf("build: --secret %q: %v", s, err)
		}
		var src secretsprovider.Source
		for _, f := range fields {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "id":
				src.ID = v
			case "src", "source":
				src.FilePath = v
			case "env":
				src.Env = v
			default:
				return nil, usageErrorf("build: --secret %q: unknown key %q (want id, src, env)", s, k)
			}
		}
		if src.ID == "" || (src.FilePath == "") == (src.Env == "") {
			return nil, usageErrorf("build: --secret %q: want id=ID and one of src=FILE or env=VAR", s)
		}
		out = append(out, src)
	}
	return out, nil
}

func parseCaches(list []string) []client.CacheOptionsEntry {
	var out []client.CacheOptionsEntry
	for _, c := range list {
		if e, err := build.ParseCache(c); err == nil {
			out = append(out, e)
		}
	}
	return out
}
