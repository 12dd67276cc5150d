package cli

import (
	"context"

	"encoding/json"
	"fmt"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"os"
	"path/filepath"

	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/internal/dockerauth"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/lock"
	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/publish"
)

// maxMetadata bounds a metadata file publish reads.
const maxMetadata = 16 << 20

func (c *CLI) publishCommand() *command {
	cmd := newCommand("publish", "[FILE|DIR] META...", "assemble platforms pushed by several runners and move the tags", `
Publish finishes a build that ran in parts: CI matrix runners (or nodes)
each ran

  bricklayer build --push --platform P --metadata-file META

which pushes their platforms by digest and moves no tag. Publish reads
their metadata files and plans the images they hold (or those --image
names) with the inputs the runners recorded: --arg, --set and --context
values and the digests their base images resolved to, which must agree
(a value given here must be theirs). It checks that every platform of
each image is there exactly once and was built from the graph the spec
gives now, assembles one index per image in the spec's platform order,
pushes it by digest, and moves the tags as build --push does: all of
them, or none. Anything missing, doubled, built from another spec or
with other inputs is reported, and so is a manifest that is not, in the
image's repository, an image of the platform it is listed under (or an
attestation about it): nothing is published (exit 1). --sign KEY (or
keyless) signs each index before the tags move, as build --sign does.

The first argument is the spec when it is a directory or a .cue file.`)
	insecure := cmd.flags.StringArray("insecure-registry", nil, "registry HOST[:PORT] reached over plain HTTP (repeatable)")
	metadata := cmd.flags.String("metadata-file", "", "write digests, platforms and tags as JSON to FILE (before the tags move, and after)")
	verbose := cmd.flags.BoolP("verbose", "v", false, "when moving tags fails, list every tag and what became of it")
	images := cmd.flags.StringArray("image", nil, "publish only this image (repeatable; default all)")
	args := cmd.flags.StringArray("arg", nil, "build arg K=V; the runners' recorded args are used, and one given must match them (repeatable)")
	signKey := signFlag(cmd.flags)
	contexts := contextFlag(cmd.flags)
	sets := setFlag(cmd.flags)
	cmd.run = func(ctx context.Context, pos []string) error {
		arg := "."
		if len(pos) > 0 {
			if fi, err := os.Stat(pos[0]); err == nil && (fi.IsDir() || filepath.Ext(pos[0]) == ".cue") {
				arg, pos = pos[0], pos[1:]
			}
		}
		if len(pos) == 0 {
			return usageErrorf("publish: give the metadata files the builds wrote (--metadata-file)")
		}
		buildArgs, err := parseArgs("publish", *args)
		if err != nil {
			return err
		}
		hosts, err := parseInsecure("publish", *insecure)
		if err != nil {
			return err
		}
		if err := checkWrites(*metadata, nil, nil, nil, nil); err != nil {
			return err
		}
		var sources []pipeline.Source
		for _, f := range pos {
			dt, err := safefile.Read(f, maxMetadata)
			if err != nil {
				return fmt.Errorf("reading metadata: %w", err)
			}
			var m pipeline.Metadata
			if err := json.Unmarshal(dt, &m); err != nil {
				return fmt.Errorf("%s: not a metadata file of bricklayer build: %w", f, err)
			}
			sources = append(sources, pipeline.Source{Name: f, Meta: &m})
		}
		// The runners' inputs: the spec is loaded and planned with them,
		// so this job needs no copy of their flags.
		inputs, err := pipeline.AgreedInputs(sources, pipeline.Inputs{Args: buildArgs, Sets: *sets, Contexts: *contexts})
		if err != nil {
			return err
		}
		s, err := c.load(ctx, arg, inputs.Contexts, inputs.Sets...)
		if err != nil {
			return err
		}
		s.Release() // nothing here exports the spec; a large plan needs the memory
		if s.Build.Source == "" {
			s.DefaultSource(buildinfo.Origin(ctx, s.Dir))
		}
		reg := publish.Registry{Insecure: hosts, Keychain: dockerauth.Keychain(c.dockerAuth())}.Shared()
		var bases sourceresolver.ImageMetaResolver = &publish.Bases{Registry: reg, Pins: inputs.Bases, Strict: true}
		lr, lf, err := lockResolver(s)
		if err != nil {
			return err
		}
		if lr != nil {
			if err := pipeline.CheckPins(inputs, lock.FileName, lf.Pins()); err != nil {
				return err
			}
			bases = lr
		}
		signer, err := c.signer(*signKey, reg)
		if err != nil {
			return err
		}
		results, err := pipeline.Publish(ctx, s, reg, sources, pipeline.PublishOptions{
			Images: *images,
			Inputs: inputs,
			Bases:  bases,
			Record: recorder(*metadata, &inputs),
			Sign:   signer,
		})
		if err != nil {
			err = runError(ctx, err)
		}
		if err := c.finish("publish", *metadata, *verbose, results, &inputs, err); err != nil {
			return err
		}
		c.report(results, pipeline.Options{Push: true})
		return nil
	}
	return cmd
}
