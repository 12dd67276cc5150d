package build

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"

	"github.com/bricklayer-build/bricklayer/llbgen"
	"github.com/bricklayer-build/bricklayer/spec"
)

// Options say what to build and where the results go.
type Options struct {
	// Addr is the daemon address (see Addr).
	Addr string
	// Images selects images by name; empty means all.
	Images []string
	// Platforms restricts the build to these platforms (normalized) of
	// each image; empty means all. Images with none of them are skipped.
	Platforms []string
	// Args override build args.
	Args map[string]string
	// Secrets are the build secrets offered to run steps.
	Secrets []secretsprovider.Source
	// Push pushes each image to its repository and then moves its tags.
	Push bool
	// Output writes OCI layouts.
	Output Output
	// Insecure lists registries (host[:port]) reached over plain HTTP.
	Insecure []string
	// Builder, when set, builds on its nodes instead of the daemon at
	// Addr: each platform on the node that serves it.
	Builder *Builder
	// CacheTo and CacheFrom export and import BuildKit cache, one cache
	// per image and platform (see perPlatform).
	CacheTo, CacheFrom []client.CacheOptionsEntry
	// NoCache runs every step again.
	NoCache bool
	// Epoch (SOURCE_DATE_EPOCH) makes images reproducible: layer file
	// times and config dates are clamped to it.
	Epoch *time.Time
	// Progress is the display mode: auto, tty, plain, rawjson or quiet.
	Progress string
	// Stderr receives progress and messages.
	Stderr io.Writer
}

// ImageResult is what one image became.
type ImageResult struct {
	Name       string `json:"-"`
	Repository string `json:"repository"`
	// Digest is the digest of the image index.
	Digest digest.Digest `json:"digest"`
	// Platforms are the manifests of the index, by platform.
	Platforms []PlatformResult `json:"platforms"`
	// Tags are the references published (empty without --push).
	Tags []string `json:"tags"`
	// Output is the OCI layout written, if any.
	Output string `json:"output,omitempty"`
	// Seconds is how long the image took to build and push.
	Seconds float64 `json:"seconds"`
}

// PlatformResult is one manifest of an index.
type PlatformResult struct {
	Platform string        `json:"platform"`
	Digest   digest.Digest `json:"digest"`
}

// Run builds the selected images of s for all their platforms, exports
// them, and with Push moves their tags once every image succeeded.
func Run(ctx context.Context, s *spec.Spec, opts Options) ([]*ImageResult, error) {
	r, err := prepare(ctx, s, opts)
	if err != nil {
		return nil, err
	}
	var results []*ImageResult
	switch {
	case opts.Builder != nil:
		results, err = r.onNodes(ctx)
	case len(opts.CacheTo) > 0:
		// A cache per platform needs a session per platform: build as a
		// builder of the one daemon.
		r.opts.Builder = &Builder{Nodes: []Node{{Name: "default", Addr: Addr(opts.Addr)}}}
		results, err = r.onNodes(ctx)
	default:
		results, err = r.onDaemon(ctx)
	}
	if err != nil {
		return nil, err
	}
	if opts.Push {
		if err := publish(ctx, s, results, opts.Insecure); err != nil {
			return results, err
		}
	}
	return results, nil
}

// run is what every session of a build shares.
type run struct {
	s       *spec.Spec
	opts    Options
	names   []string
	targets map[string][]string // image -> platforms to build
	mounts  map[string]fsutil.FS
	attach  []session.Attachable
	hostNet bool
}

func prepare(ctx context.Context, s *spec.Spec, opts Options) (*run, error) {
	names, err := selectImages(s, opts.Images)
	if err != nil {
		return nil, err
	}
	r := &run{s: s, opts: opts, targets: map[string][]string{}, mounts: map[string]fsutil.FS{}}
	for _, n := range names {
		if ps := platformsOf(s.Images[n], opts.Platforms); len(ps) > 0 {
			r.targets[n] = ps
			r.names = append(r.names, n)
		}
	}
	if len(r.names) == 0 {
		return nil, fmt.Errorf("no selected image is built for %s", strings.Join(opts.Platforms, ", "))
	}
	// Lower offline first: spec mistakes surface before any daemon work,
	// and the offline graphs name the local sources the session serves.
	locals, hostNet, err := offlineLocals(ctx, s, r.targets, opts.Args)
	if err != nil {
		return nil, err
	}
	r.hostNet = hostNet
	if r.attach, err = attachables(opts); err != nil {
		return nil, err
	}
	for name, dir := range locals {
		fs, err := fsutil.NewFS(dir)
		if err != nil {
			return nil, fmt.Errorf("build context %s: %w", dir, err)
		}
		r.mounts[name] = fs
	}
	return r, nil
}

// onDaemon builds on one daemon: one session per image, all its platforms
// in it, so the daemon's exporter writes the index.
func (r *run) onDaemon(ctx context.Context) ([]*ImageResult, error) {
	c, workers, err := Connect(ctx, Addr(r.opts.Addr))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := checkPlatforms(r.targets, workers, Addr(r.opts.Addr)); err != nil {
		return nil, err
	}
	prog, err := newProgress(ctx, r.opts.Stderr, r.opts.Progress)
	if err != nil {
		return nil, err
	}
	results := make([]*ImageResult, len(r.names))
	eg, ectx := errgroup.WithContext(ctx)
	for i, name := range r.names {
		eg.Go(func() error {
			res, err := r.solveImage(ectx, c, name, prog)
			if err != nil {
				return &ImageError{Image: name, Err: err}
			}
			results[i] = res
			return nil
		})
	}
	buildErr := eg.Wait()
	prog.close()
	if buildErr != nil {
		return nil, prog.explain(r.s, buildErr)
	}
	return results, nil
}

// ImageError is the failure of one image; no tag moved.
type ImageError struct {
	Image string
	Err   error
}

func (e *ImageError) Error() string { return fmt.Sprintf("image %s: %v", e.Image, e.Err) }
func (e *ImageError) Unwrap() error { return e.Err }

func selectImages(s *spec.Spec, want []string) ([]string, error) {
	if len(want) == 0 {
		return s.ImageNames, nil
	}
	for _, n := range want {
		if _, ok := s.Images[n]; !ok {
			return nil, fmt.Errorf("no image %q in %s (images: %s)", n, s.File, strings.Join(s.ImageNames, ", "))
		}
	}
	return want, nil
}

// platformsOf is the image's platforms that the build asks for.
func platformsOf(im *spec.Image, want []string) []string {
	if len(want) == 0 {
		return im.Platforms
	}
	var out []string
	for _, p := range im.Platforms {
		if slices.Contains(want, p) {
			out = append(out, p)
		}
	}
	return out
}

func offlineLocals(ctx context.Context, s *spec.Spec, targets map[string][]string, args map[string]string) (map[string]string, bool, error) {
	l := llbgen.New(s, llbgen.Options{Args: args})
	locals := map[string]string{}
	hostNet := false
	for _, name := range spec.SortedKeys(targets) {
		for _, p := range targets[name] {
			t, err := l.Lower(ctx, name, p)
			if err != nil {
				return nil, false, err
			}
			for k, v := range t.Locals {
				locals[k] = v
			}
			hostNet = hostNet || usesHostNetwork(s, name)
		}
	}
	return locals, hostNet, nil
}

func usesHostNetwork(s *spec.Spec, image string) bool {
	check := func(st *spec.Stage) bool {
		return slices.ContainsFunc(st.Steps, func(x spec.Step) bool { return x.Network == "host" })
	}
	im := s.Images[image]
	if check(&im.Stage) {
		return true
	}
	for _, st := range im.Stages {
		if check(st) {
			return true
		}
	}
	for _, st := range s.Stages {
		if check(st) {
			return true
		}
	}
	return false
}

// checkPlatforms refuses platforms no worker can build, before a build
// half succeeds.
func checkPlatforms(targets map[string][]string, workers []*client.WorkerInfo, addr string) error {
	var have []ocispecs.Platform
	for _, w := range workers {
		have = append(have, w.Platforms...)
	}
	matcher := func(p ocispecs.Platform) bool {
		for _, h := range have {
			if platforms.OnlyStrict(h).Match(p) || platforms.Only(h).Match(p) {
				return true
			}
		}
		return false
	}
	for _, name := range spec.SortedKeys(targets) {
		for _, p := range targets[name] {
			if !matcher(platforms.MustParse(p)) {
				var hs []string
				for _, h := range have {
					hs = append(hs, platforms.Format(h))
				}
				return fmt.Errorf("image %s: platform %s is not supported by the daemon at %s (it builds %s); for emulation install qemu-user-static and binfmt-support, then restart buildkitd",
					name, p, addr, strings.Join(hs, ", "))
			}
		}
	}
	return nil
}

func attachables(opts Options) ([]session.Attachable, error) {
	dockerConfig := config.LoadDefaultConfigFile(io.Discard)
	out := []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(dockerConfig),
	})}
	store, err := secretsprovider.NewStore(opts.Secrets)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return append(out, secretsprovider.NewSecretProvider(store)), nil
}

// solveImage builds one image for all its platforms in one session: one
// solve per platform, the results returned as one ref per platform with
// its config, so the exporter writes one index.
func (r *run) solveImage(ctx context.Context, c *client.Client, name string, prog *progress) (*ImageResult, error) {
	start := time.Now()
	im := r.s.Images[name]
	plats := r.targets[name]
	res := &ImageResult{Name: name, Repository: im.Repository, Tags: []string{}}

	var exports []client.ExportEntry
	if r.opts.Push {
		exports = append(exports, r.pushExport(im))
	}
	if r.opts.Output.Type == "oci" {
		dest := r.opts.Output.destFor(name, len(r.names) > 1)
		res.Output = dest
		attrs := map[string]string{"oci-mediatypes": "true"}
		epochAttrs(attrs, r.opts.Epoch)
		if len(im.Tags) > 0 {
			attrs["name"] = im.Repository + ":" + im.Tags[0]
		}
		e := client.ExportEntry{Type: client.ExporterOCI, Attrs: attrs}
		if r.opts.Output.Tar {
			if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
				return nil, err
			}
			e.Output = func(map[string]string) (io.WriteCloser, error) { return os.Create(dest) }
		} else {
			attrs["tar"] = "false"
			e.OutputDir = dest
		}
		exports = append(exports, e)
	}

	var mu sync.Mutex
	// The build function's error reaches us through the daemon as text;
	// keep which platform failed on this side.
	var failed *PlatformError
	build := func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
		out := gateway.NewResult()
		exp := exptypes.Platforms{Platforms: make([]exptypes.Platform, len(plats))}
		eg, ectx := errgroup.WithContext(ctx)
		for i, p := range plats {
			eg.Go(func() error {
				sr, t, cfg, err := r.solveOne(ectx, gw, name, p)
				if err != nil {
					mu.Lock()
					if failed == nil {
						failed = &PlatformError{Platform: p, Err: err}
					}
					mu.Unlock()
					return err
				}
				ref, err := sr.SingleRef()
				if err != nil {
					return err
				}
				id := platforms.FormatAll(t.Platform)
				mu.Lock()
				defer mu.Unlock()
				out.AddRef(id, ref)
				out.AddMeta(exptypes.ExporterImageConfigKey+"/"+id, cfg)
				exp.Platforms[i] = exptypes.Platform{ID: id, Platform: t.Platform}
				return nil
			})
		}
		if err := eg.Wait(); err != nil {
			return nil, err
		}
		dt, err := json.Marshal(exp)
		if err != nil {
			return nil, err
		}
		out.AddMeta(exptypes.ExporterPlatformsKey, dt)
		return out, nil
	}
	resp, err := c.Build(ctx, r.solveOpt(exports, plats), "", build, prog.channel())
	if err != nil {
		if failed != nil {
			return nil, &PlatformError{Platform: failed.Platform, Err: err}
		}
		return nil, err
	}
	res.Digest = digest.Digest(resp.ExporterResponse[exptypes.ExporterImageDigestKey])
	res.Seconds = seconds(time.Since(start))
	if res.Output != "" {
		ps, idx, err := layoutManifests(res.Output, r.opts.Output.Tar, res.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading the layout written: %w", err)
		}
		res.Platforms = ps
		if res.Digest == "" {
			res.Digest = idx
		}
	}
	return res, nil
}

// pushExport pushes an image (or index) to its repository by digest:
// tags come later, once every image of the run is there.
func (r *run) pushExport(im *spec.Image) client.ExportEntry {
	attrs := map[string]string{
		"name":           im.Repository,
		"push":           "true",
		"push-by-digest": "true",
		"oci-mediatypes": "true",
	}
	if isInsecure(im.Repository, r.opts.Insecure) {
		attrs["registry.insecure"] = "true"
	}
	epochAttrs(attrs, r.opts.Epoch)
	return client.ExportEntry{Type: client.ExporterImage, Attrs: attrs}
}

// solveOpt is the session of a build of plats.
func (r *run) solveOpt(exports []client.ExportEntry, plats []string) client.SolveOpt {
	so := client.SolveOpt{
		Exports:     exports,
		LocalMounts: r.mounts,
		Session:     r.attach,
		// Not nil: with cache imports, BuildKit's client copies into it.
		// The platforms, so the exporter knows the result has them all.
		FrontendAttrs: map[string]string{"platform": strings.Join(plats, ",")},
	}
	if r.hostNet {
		so.AllowedEntitlements = []string{"network.host"}
	}
	return so
}

// solveOne lowers image for plat, resolving base images through the
// session, and solves it; it returns the result, the lowered target and
// its image config.
func (r *run) solveOne(ctx context.Context, gw gateway.Client, image, plat string) (*gateway.Result, *llbgen.Target, []byte, error) {
	bp := llbgen.DefaultBuildPlatform
	if ws := gw.BuildOpts().Workers; len(ws) > 0 && len(ws[0].Platforms) > 0 {
		bp = platforms.Normalize(ws[0].Platforms[0])
	}
	l := llbgen.New(r.s, llbgen.Options{BuildPlatform: &bp, Args: r.opts.Args, Resolver: gw, NoCache: r.opts.NoCache, Epoch: r.opts.Epoch})
	t, err := l.Lower(ctx, image, plat)
	if err != nil {
		return nil, nil, nil, err
	}
	def, err := t.Marshal(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	req := gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true}
	if r.s.Images[image].Cache {
		req.CacheImports = gatewayCache(derive(r.opts.CacheFrom, image, []string{plat}))
	}
	res, err := gw.Solve(ctx, req)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, err := json.Marshal(t.Config)
	if err != nil {
		return nil, nil, nil, err
	}
	return res, t, cfg, nil
}

// PlatformError is the failure of one platform of an image.
type PlatformError struct {
	Platform string
	Node     string // the builder's node that built it, if any
	Err      error
}

func (e *PlatformError) Error() string { return fmt.Sprintf("platform %s: %v", e.where(), e.Err) }

func (e *PlatformError) where() string {
	if e.Node == "" {
		return e.Platform
	}
	return e.Platform + " (node " + e.Node + ")"
}
func (e *PlatformError) Unwrap() error { return e.Err }

func isInsecure(repo string, insecure []string) bool {
	host := strings.SplitN(repo, "/", 2)[0]
	return slices.Contains(insecure, host)
}

// epochAttrs makes an export reproducible for epoch: BuildKit clamps the
// times in the layers and the config to it.
func epochAttrs(attrs map[string]string, epoch *time.Time) {
	if epoch == nil {
		return
	}
	attrs["source-date-epoch"] = strconv.FormatInt(epoch.Unix(), 10)
	attrs["rewrite-timestamp"] = "true"
}

// gatewayCache is the form a gateway solve request takes cache imports in:
// a client-side build function, not the session, imports them.
func gatewayCache(entries []client.CacheOptionsEntry) []gateway.CacheOptionsEntry {
	out := make([]gateway.CacheOptionsEntry, len(entries))
	for i, e := range entries {
		out[i] = gateway.CacheOptionsEntry{Type: e.Type, Attrs: e.Attrs}
	}
	return out
}

func seconds(d time.Duration) float64 { return d.Round(time.Millisecond).Seconds() }
