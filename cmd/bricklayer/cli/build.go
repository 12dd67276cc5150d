package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/spf13/pflag"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/buildopt"
	"github.com/bricklayer-build/bricklayer/internal/dockerauth"
	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/ref"
	"github.com/bricklayer-build/bricklayer/solve"
	"github.com/bricklayer-build/bricklayer/spec"
)

func (c *CLI) buildCommand() *command {
	cmd := newCommand("build", "[FILE|DIR] [IMAGE...]", "build images on BuildKit and publish them", `
Build solves every selected image (default: all) for all its platforms on
BuildKit, one session per image and node (per platform for --load or a
cache export), all of them concurrently.
The first argument is the spec when it names an existing file or
directory; the others name images.

Outputs:
  --push                         push each platform's image by digest, then
                                 each image's index by digest; then, once
                                 every image of the run succeeded, move all
                                 its tags to it. A failure moves no tag.
  --output type=oci,dest=F.tar   write an OCI layout (tar=false: a
                                 directory); with several images, dest is a
                                 directory with one layout per image.
  --load                         load one platform's image into Docker
                                 (DOCKER_HOST) under its tags, as docker
                                 load does: the --platform given, else the
                                 Docker host's; other platforms are only
                                 built (or pushed, with --push).
With none, the results stay in the BuildKit cache. bricklayer assembles
every index itself, so one daemon or several give the same index.

--provenance mode=min|max (true is mode=min) has BuildKit attest each
platform's image with SLSA provenance: the index then holds, after the
images, one attestation manifest per platform (platform unknown/unknown),
as buildx makes them. Not with --load: Docker cannot take it. Without the
flag, as buildx: mode=min with --push or --output, none with --load, and
none with an epoch (BuildKit's provenance records times and a random ID,
so the index would differ from run to run). false turns it off.

--sbom true|generator=IMAGE has the generator (BuildKit's scanner
protocol; default docker/buildkit-syft-scanner:stable-1) scan each
platform's image and attaches its SPDX document to the platform's
attestation manifest, beside the provenance. Not with --load.

--sign KEY (with --push) signs each index as cosign does, once every
index is pushed and before any tag moves: KEY is a cosign key file or
env://VAR, its password $COSIGN_PASSWORD; cosign verify --key checks it.
--sign keyless signs with Sigstore: an OIDC token ($SIGSTORE_ID_TOKEN, or
GitHub Actions' with id-token: write) buys a short-lived certificate
from Fulcio, and each signature is logged in Rekor (keyless,fulcio=URL,
rekor=URL for other instances than the public ones); cosign verify
--certificate-identity ... --certificate-oidc-issuer ... checks it.

--history records each session in BuildKit's build history, for buildx
history, buildctl debug histories and Docker Desktop's Builds view. Without
it the daemon keeps no record of the build: finalizing one costs it about
a third of a warm push, and the metadata file is bricklayer's record.

The daemon is --addr, else $BUILDKIT_HOST, else
unix:///run/buildkit/buildkitd.sock (bricklayer builder bootstrap starts one);
--node or --builder name several. Registry credentials come from the Docker
config (~/.docker/config.json, $DOCKER_CONFIG, credential helpers).`)
	f := buildFlagsOf(cmd.flags)
	cmd.run = func(ctx context.Context, pos []string) error {
		arg := "."
		if len(pos) > 0 {
			if _, err := os.Stat(pos[0]); err == nil {
				arg, pos = pos[0], pos[1:]
			}
		}
		// The command line first: its mistakes are usage errors, found
		// before the spec is read.
		o, err := f.options(c)
		if err != nil {
			return err
		}
		insecure, err := parseInsecure("build", *f.insecure)
		if err != nil {
			return err
		}
		o.plan.Images = pos
		if *f.sign != "" && !o.run.Push {
			return usageErrorf("build: --sign signs the indexes --push publishes; without --push there are none")
		}
		if o.run.Push && len(o.plan.Platforms) > 0 && *f.metadata == "" {
			return usageErrorf("build: --push with --platform pushes those platforms by digest and moves no tag; --metadata-file FILE must record them for bricklayer publish")
		}
		s, err := c.load(ctx, arg, *f.contexts, *f.sets...)
		if err != nil {
			return err
		}
		s.Release() // nothing here exports the spec; a large plan needs the memory
		// org.opencontainers.image.source: git's origin, also for a spec
		// whose load did not read git.
		if s.Build.Source == "" {
			s.DefaultSource(buildinfo.Origin(ctx, s.Dir))
		}
		names, err := plan.SelectImages(s, pos)
		if err != nil {
			return err
		}
		if *f.sign != "" && !anyWhole(s, names, o.plan.Platforms) {
			return usageErrorf("build: --sign signs the indexes --push publishes, and a build of some of each image's platforms (--platform) makes none: sign in bricklayer publish")
		}
		if o.solve.Epoch == nil {
			o.solve.Epoch = s.Epoch
		}
		o.plan.Epoch = o.solve.Epoch
		if *f.provenance == "" {
			o.solve.Provenance = buildopt.DefaultProvenance(o.run.Push || o.run.Output != nil, *f.load, o.solve.Epoch != nil)
		}
		if *f.load {
			docker, err := c.loadOptions(ctx, s, &o.plan, &o.run, &o.solve, *f.output != "")
			if err != nil {
				return err
			}
			defer docker.Close()
		}
		if !f.cacheFlags() {
			o.run.CacheTo, o.run.CacheFrom = s.CacheTo, s.CacheFrom
		}
		// type=gha caches take the runner's token and addresses.
		for _, l := range []*[]buildopt.Cache{&o.run.CacheTo, &o.run.CacheFrom} {
			for i, e := range *l {
				(*l)[i] = e.FromRunner(c.getenv)
			}
		}
		if err := checkWrites(*f.metadata, s, o.plan.Images, o.plan.Platforms, &o.run); err != nil {
			return err
		}
		o.inputs.Sets, o.inputs.Contexts = *f.sets, *f.contexts
		o.run.Record = recorder(*f.metadata, &o.inputs)
		o.solve.Auth = c.dockerAuth()
		o.solve.SpecFile, o.solve.StepAt = s.File, s.StepAt
		reg := publish.Registry{Insecure: insecure, Keychain: dockerauth.Keychain(o.solve.Auth)}.Shared()
		if o.run.Sign, err = c.signer(*f.sign, reg); err != nil {
			return err
		}
		results, err := c.runBuild(ctx, s, o, reg)
		if err := c.finish("build", *f.metadata, *f.verbose, results, &o.inputs, err); err != nil {
			return err
		}
		c.report(results, o.run)
		return nil
	}
	return cmd
}

// buildOptions are everything build's flags say: what to plan, where the
// results go, how to solve, and the inputs the metadata records.
type buildOptions struct {
	plan   plan.Options
	run    pipeline.Options
	solve  solve.Config
	inputs pipeline.Inputs
}

// runBuild opens the builder, plans the build for its nodes (base images
// resolved from their registries, once) and runs the pipeline on it; its
// errors say how the build ended (exitCode maps them). A run that failed
// moving tags gives its results too: what became of them.
func (c *CLI) runBuild(ctx context.Context, s *spec.Spec, o *buildOptions, reg publish.Registry) ([]*pipeline.ImageResult, error) {
	sv, err := solve.Open(ctx, o.solve)
	if err != nil {
		return nil, runError(ctx, err)
	}
	defer sv.Close()
	// A lock pins the bases; without one they are resolved once, here.
	lr, _, err := lockResolver(s)
	if err != nil {
		return nil, err
	}
	bases := &publish.Bases{Registry: reg}
	o.plan.Resolver, o.plan.Definitions = bases, true
	if lr != nil {
		o.plan.Resolver = lr
	}
	p, err := pipeline.Plan(ctx, s, sv, o.plan)
	if err != nil {
		return nil, runError(ctx, err)
	}
	o.inputs.Bases = bases.Resolved()
	if lr != nil {
		o.inputs.Bases = lr.Resolved()
	}
	results, err := pipeline.Run(ctx, p, sv, reg, o.run)
	if err != nil {
		return results, runError(ctx, err)
	}
	return results, nil
}

// classify marks a failure of the build itself (exit 3), leaving the
// errors that have codes of their own (no daemon, usage, metadata that
// publish refuses, a file not written) as they are.
func classify(err error) error {
	if errkind.Of(err) != errkind.None {
		return err
	}
	return &buildFailed{err: err}
}

// buildFlags are build's flags; options turns them into the pipeline's
// and the solver's options, the one place that reads them.
type buildFlags struct {
	addr, output, progress, metadata, epoch *string
	provenance, sign, sbom                  *string
	push, noCache, load, verbose, history   *bool
	insecure, args, secrets, plats          *[]string
	cacheTo, cacheFrom                      *[]string
	contexts, sets                          *[]string
	nodes                                   *nodeOpts
	fs                                      *pflag.FlagSet
}

func buildFlagsOf(fs *pflag.FlagSet) *buildFlags {
	return &buildFlags{
		fs:        fs,
		addr:      fs.String("addr", "", "BuildKit daemon address (default $BUILDKIT_HOST or "+builders.DefaultAddr+")"),
		push:      fs.Bool("push", false, "push the images and move their tags"),
		load:      fs.Bool("load", false, "load the image for one platform (--platform, else the Docker host's) into Docker"),
		output:    fs.String("output", "", "export as an OCI layout: type=oci,dest=PATH[,tar=false]"),
		insecure:  fs.StringArray("insecure-registry", nil, "registry HOST[:PORT] reached over plain HTTP (repeatable)"),
		args:      fs.StringArray("arg", nil, "build arg K=V, overriding the spec's (repeatable)"),
		secrets:   fs.StringArray("secret", nil, "build secret id=ID,src=FILE or id=ID,env=VAR (repeatable)"),
		progress:  fs.String("progress", "auto", "progress display: auto, tty, plain, rawjson or quiet"),
		metadata:  fs.String("metadata-file", "", "write digests, platforms, tags and timings as JSON to FILE (before the tags move, and after)"),
		verbose:   fs.BoolP("verbose", "v", false, "when moving tags fails, list every tag and what became of it"),
		plats:     fs.StringArray("platform", nil, "build only these platforms of each image: P[,P...] (repeatable; images without them are skipped)"),
		contexts:  contextFlag(fs),
		sets:      setFlag(fs),
		nodes:     nodeFlags(fs),
		cacheTo:   fs.StringArray("cache-to", nil, "export build cache, one per image and platform: type=registry,ref=REF[,mode=max] | type=local,dest=DIR | type=inline (repeatable)"),
		cacheFrom: fs.StringArray("cache-from", nil, "import build cache: type=registry,ref=REF | type=local,src=DIR (repeatable)"),
		noCache:   fs.Bool("no-cache", false, "run every step again"),
		history:   fs.Bool("history", false, "record each build in BuildKit's build history (buildx history, buildctl debug histories, Docker Desktop's Builds view)"),
		epoch:     fs.String("source-date-epoch", "", "reproducible images: Unix seconds to clamp times to (default $SOURCE_DATE_EPOCH, else the spec's epoch)"),
		// No bare --provenance: "--provenance mode=max" must not read as
		// true and an image named mode=max.
		sign:       signFlag(fs),
		sbom:       fs.String("sbom", "false", "attach an SPDX SBOM to each platform's image: true (generator "+buildopt.DefaultScanner+"), false, generator=IMAGE; not with --load"),
		provenance: fs.String("provenance", "", "attach BuildKit's SLSA provenance to each platform's image: true (mode=min), false, mode=min|max[,version=v1|v0.2]; not with --load (default mode=min with --push or --output, none with --load or an epoch)"),
	}
}

func (f *buildFlags) cacheFlags() bool { return len(*f.cacheTo)+len(*f.cacheFrom) > 0 }

func (f *buildFlags) options(c *CLI) (*buildOptions, error) {
	bo := &buildOptions{solve: solve.Config{Progress: *f.progress, Stderr: c.stderr, History: *f.history}}
	bo.plan.NoCache = *f.noCache
	o, cfg := &bo.run, &bo.solve
	switch *f.progress {
	case "auto", "tty", "plain", "rawjson", "quiet":
	default:
		return nil, usageErrorf("build: --progress must be auto, tty, plain, rawjson or quiet")
	}
	var err error
	if bo.plan.Args, err = parseArgs("build", *f.args); err != nil {
		return nil, err
	}
	bo.inputs.Args = bo.plan.Args
	for _, s := range *f.secrets {
		sec, err := buildopt.ParseSecret(s)
		if err != nil {
			return nil, usageErrorf("build: %v", buildopt.FlagError("secret", s, err))
		}
		cfg.Secrets = append(cfg.Secrets, sec)
	}
	if bo.plan.Platforms, err = platform.ParseList(*f.plats); err != nil {
		return nil, usageErrorf("build: --platform: %v", err)
	}
	o.Push = *f.push
	if *f.provenance != "" {
		if cfg.Provenance, err = buildopt.ParseProvenance(*f.provenance); err != nil {
			return nil, usageErrorf("build: %v", buildopt.FlagError("provenance", *f.provenance, err))
		}
	}
	if cfg.SBOM, err = buildopt.ParseSBOM(*f.sbom); err != nil {
		return nil, usageErrorf("build: %v", buildopt.FlagError("sbom", *f.sbom, err))
	}
	if cfg.SBOM.Enabled() && *f.load {
		return nil, usageErrorf("build: --sbom cannot go with --load: BuildKit's docker exporter, which --load uses, carries no attestations")
	}
	// BuildKit's docker exporter cannot hold an attestation; buildx
	// refuses the two together too (unless Docker's containerd store
	// takes an OCI layout instead).
	if cfg.Provenance.Enabled() && *f.load {
		return nil, usageErrorf("build: --provenance cannot go with --load: BuildKit's docker exporter, which --load uses, carries no attestations; attest what --push or --output exports, and load in a build without --provenance")
	}
	if *f.output != "" {
		out, err := buildopt.ParseOutput(*f.output)
		if err != nil {
			return nil, usageErrorf("build: %v", buildopt.FlagError("output", *f.output, err))
		}
		o.Output = &out
	}
	for _, l := range []struct {
		flag string
		in   []string
		out  *[]buildopt.Cache
	}{{"cache-to", *f.cacheTo, &o.CacheTo}, {"cache-from", *f.cacheFrom, &o.CacheFrom}} {
		for _, s := range l.in {
			e, err := buildopt.ParseCache(s)
			if err != nil {
				return nil, usageErrorf("build: %v", buildopt.FlagError(l.flag, s, err))
			}
			*l.out = append(*l.out, e)
		}
	}
	epoch := *f.epoch
	if epoch == "" {
		epoch = os.Getenv("SOURCE_DATE_EPOCH")
	}
	if epoch != "" {
		n, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil || n < 0 {
			return nil, usageErrorf("build: --source-date-epoch %q: want Unix seconds", epoch)
		}
		t := time.Unix(n, 0).UTC()
		cfg.Epoch = &t
		bo.inputs.SourceDateEpoch = &n
	}
	if cfg.Builder, err = f.nodes.builder(*f.addr, c.stderr); err != nil {
		return nil, err
	}
	return bo, nil
}

func (c *CLI) report(results []*pipeline.ImageResult, opts pipeline.Options) {
	for _, r := range results {
		fmt.Fprintf(c.stdout, "%s  %s", r.Name, r.Repository)
		if r.Digest != "" {
			fmt.Fprintf(c.stdout, "@%s", r.Digest)
		}
		fmt.Fprintln(c.stdout)
		for _, p := range r.Platforms {
			if p.Digest != "" {
				fmt.Fprintf(c.stdout, "  %-14s %s\n", p.Platform, p.Digest)
			}
		}
		if r.Signature != "" {
			fmt.Fprintf(c.stdout, "  signed %s\n", r.Signature)
		}
		for _, t := range r.Tags {
			fmt.Fprintf(c.stdout, "  tagged %s\n", t)
		}
		if r.Partial && opts.Push {
			fmt.Fprintln(c.stdout, "  pushed by digest; no index, no tag (a subset of its platforms: bricklayer publish assembles them)")
		}
		if r.Output != "" {
			fmt.Fprintf(c.stdout, "  OCI layout: %s\n", r.Output)
		}
		for _, l := range r.Loaded {
			fmt.Fprintf(c.stdout, "  docker: %s\n", l)
		}
	}
	if !opts.Push && opts.Output == nil && opts.Load == nil {
		fmt.Fprintln(c.stdout, "built; the results stay in the BuildKit cache (--push or --output exports them)")
	}
}

func writeMetadata(file string, results []*pipeline.ImageResult, inputs *pipeline.Inputs) error {
	m := pipeline.Metadata{Images: map[string]*pipeline.ImageResult{}, Inputs: inputs}
	for _, r := range results {
		m.Images[r.Name] = r
	}
	dt, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := safefile.Write(file, append(dt, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing metadata: %w", err)
	}
	return nil
}

func parseArgs(cmd string, list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range list {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usageErrorf("%s: --arg %q: want KEY=VALUE", cmd, a)
		}
		out[k] = v
	}
	return out, nil
}

// parseInsecure reads the --insecure-registry values as registry hosts,
// so that they compare with the hosts of repositories as parsed hosts.
func parseInsecure(cmd string, list []string) ([]ref.Host, error) {
	var out []ref.Host
	for _, s := range list {
		h, err := ref.ParseHost(s)
		if err != nil {
			return nil, usageErrorf("%s: %v", cmd, buildopt.FlagError("insecure-registry", s, err))
		}
		out = append(out, h)
	}
	return out, nil
}

// dockerAuth is the Docker config's credentials, read once per command;
// one that cannot be read is a warning, as it is for docker.
func (c *CLI) dockerAuth() *configfile.ConfigFile {
	cf, err := dockerauth.Load()
	if err != nil {
		fmt.Fprintf(c.stderr, "bricklayer: warning: %v\n", err)
	}
	return cf
}

// anyWhole says whether a build of plats (none: all) builds every
// platform of at least one of the images named: only those get an index.
func anyWhole(s *spec.Spec, names []string, plats []platform.Platform) bool {
	return slices.ContainsFunc(names, func(n string) bool { return plan.Whole(s.Images[n].Platforms, plats) })
}
