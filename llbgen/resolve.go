package llbgen

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
)

// resolveImage resolves ref for p: the source is pinned to the digest the
// registry gave, and the state starts with the image's env, workdir and
// user, so run steps see its PATH.
func resolveImage(ctx context.Context, r sourceresolver.ImageMetaResolver, ref string, p ocispecs.Platform) (llb.State, dockerspec.DockerOCIImage, error) {
	var cfg dockerspec.DockerOCIImage
	_, dgst, dt, err := r.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
		LogName:  "resolve " + ref,
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p},
	})
	if err != nil {
		if errkind.Of(err) == errkind.Check {
			return llb.State{}, cfg, err // says which base already
		}
		return llb.State{}, cfg, fmt.Errorf("resolving base image %s: %w", ref, err)
	}
	if err := json.Unmarshal(dt, &cfg); err != nil {
		return llb.State{}, cfg, fmt.Errorf("parsing the config of %s: %w", ref, err)
	}
	pinned := ref
	if dgst != "" {
		if named, err := reference.ParseNormalizedNamed(ref); err == nil {
			if d, err := reference.WithDigest(reference.TrimNamed(named), dgst); err == nil {
				pinned = d.String()
			}
		}
	}
	cfg.Created = nil
	st := llb.Image(pinned, llb.Platform(p))
	for _, kv := range cfg.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		st = st.AddEnv(k, v)
	}
	if cfg.Config.WorkingDir != "" {
		st = st.Dir(cfg.Config.WorkingDir)
	}
	if cfg.Config.User != "" {
		st = st.User(cfg.Config.User)
	}
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	return st, cfg, nil
}

// offlineResolver answers the Dockerfile converter without a network: the
// base image stays as written (no digest) and its config is unknown. It
// claims one layer so the converter does not take the image for scratch.
// It records the references it was asked for, in order, once each.
type offlineResolver struct {
	mu   sync.Mutex
	refs []string
}

func (o *offlineResolver) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	o.mu.Lock()
	if !slices.Contains(o.refs, ref) {
		o.refs = append(o.refs, ref)
	}
	o.mu.Unlock()
	var cfg dockerspec.DockerOCIImage
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p := opt.ImageOpt.Platform
		cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	}
	cfg.RootFS.Type = "layers"
	cfg.RootFS.DiffIDs = []digest.Digest{digest.FromString("bricklayer: unresolved " + ref)}
	dt, err := json.Marshal(cfg)
	return ref, "", dt, err
}
