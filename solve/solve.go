package solve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"strconv"
	"time"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/buildopt"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/platform"
)

// Interface builds images, one platform per call. The build pipeline
// talks to BuildKit only through it, so it can be tested with a fake.
type Interface interface {
	// Route gives, for each platform, the build platform of the node
	// that takes it (the platform its build-platform stages run on), and
	// refuses, before anything is planned, a platform no node takes.
	Route(ctx context.Context, plats []platform.Platform) (map[platform.Platform]platform.Platform, error)
	// Solve builds one image for one platform and exports it as req says.
	Solve(ctx context.Context, req Request) (*Result, error)
}

// Request is one image for one platform and what to do with the result.
type Request struct {
	Image    string
	Platform platform.Platform
	// Definition is the plan's graph of the target, solved as it is but
	// for its local sources, which the solve binds to its session; Config
	// is the image config (JSON) the image is exported with.
	Definition *pb.Definition
	Config     []byte
	// Locals are the directories the graph's local sources read, by
	// name, and Entitlements what its steps need.
	Locals       map[string]string
	Entitlements []string
	// Push pushes the platform's image to Repository by digest; no tag.
	Push       bool
	Repository string
	Insecure   bool
	// LayoutDir, when set, receives an OCI layout of the platform's image.
	LayoutDir string
	// Load loads the platform's image into Docker through Config.Loader,
	// named LoadNames (repository:tag), as docker load does.
	Load      bool
	LoadNames []string
	// CacheTo and CacheFrom are this image and platform's own caches.
	CacheTo, CacheFrom []buildopt.Cache
	// Annotations go on the platform's manifest.
	Annotations map[string]string
}

// Result is what one solve produced.
type Result struct {
	Image    string
	Platform platform.Platform
	// Node is the builder's node that built it.
	Node string
	// Manifest is the digest of the platform's image manifest, when it
	// was pushed or written to a layout; with Attested, of BuildKit's
	// index of it and its attestation manifest.
	Manifest digest.Digest
	// Attested says Manifest is such an index (see Config.Provenance).
	Attested bool
	// Loaded is what Docker said it loaded.
	Loaded []string
}

// Config is what every solve of a run shares.
type Config struct {
	Builder *builders.Builder
	Secrets []buildopt.Secret
	// Epoch (SOURCE_DATE_EPOCH) clamps times in layers and configs.
	Epoch *time.Time
	// Progress is the display mode: auto, tty, plain, rawjson or quiet.
	Progress string
	Stderr   io.Writer
	// Host names this machine in the identity of its build contexts on
	// the daemon (default: the host name).
	Host string
	// Loader takes the images of requests that Load them.
	Loader Loader
	// Auth is the Docker config whose credentials the daemon gets for
	// registries (dockerauth.Load); nil is none.
	Auth *configfile.ConfigFile
	// Provenance asks BuildKit to attest each platform's image with SLSA
	// provenance: its exporters then push or write an index of the image
	// manifest and an attestation manifest. BuildKit's docker exporter
	// cannot carry that, so requests that Load are refused with it.
	Provenance buildopt.Provenance
	// SpecFile and StepAt point a failed step back at the spec: the
	// definition's source map names SpecFile's base name, and StepAt
	// gives the spec path of the step at a line and column.
	SpecFile string
	StepAt   func(line, col int) string
	// SBOM has the generator scan each platform's image and attaches its
	// SPDX document the same way (so, like provenance, not with Load).
	SBOM buildopt.SBOM
}

// Nodes solves on the nodes of a builder; one daemon is a builder of one.
type Nodes struct {
	cfg    Config
	nodes  []*builders.Conn
	attach []session.Attachable
	prog   *progress
}

// Open connects to every node of cfg.Builder and starts the progress
// display. Close ends both.
func Open(ctx context.Context, cfg Config) (*Nodes, error) {
	if cfg.Host == "" {
		cfg.Host, _ = os.Hostname()
	}
	attach, err := attachables(cfg.Auth, cfg.Secrets)
	if err != nil {
		return nil, err
	}
	nodes, err := builders.ConnectAll(ctx, cfg.Builder)
	if err != nil {
		return nil, err
	}
	prog, err := newProgress(ctx, cfg.Stderr, cfg.Progress)
	if err != nil {
		builders.CloseAll(nodes)
		return nil, err
	}
	return &Nodes{cfg: cfg, nodes: nodes, attach: attach, prog: prog}, nil
}

// Close waits for the progress display to finish and disconnects.
func (n *Nodes) Close() {
	n.prog.close()
	builders.CloseAll(n.nodes)
}

// Route implements Interface: a node's build platform is its daemon's
// own, the first its workers list.
func (n *Nodes) Route(ctx context.Context, plats []platform.Platform) (map[platform.Platform]platform.Platform, error) {
	routes, err := builders.Route(n.cfg.Builder, n.nodes, plats)
	if err != nil {
		return nil, err
	}
	out := map[platform.Platform]platform.Platform{}
	for p, c := range routes {
		out[p] = platform.Of(DefaultBuildPlatform)
		if len(c.Advertised) > 0 {
			out[p] = c.Advertised[0]
		}
	}
	return out, nil
}

// DefaultBuildPlatform is a node's build platform when its workers list
// none.
var DefaultBuildPlatform = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

func attachables(auth *configfile.ConfigFile, secrets []buildopt.Secret) ([]session.Attachable, error) {
	if auth == nil {
		auth = configfile.New("")
	}
	out := []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(auth),
	})}
	var srcs []secretsprovider.Source
	for _, s := range secrets {
		srcs = append(srcs, secretsprovider.Source{ID: s.ID, FilePath: s.File, Env: s.Env})
	}
	store, err := secretsprovider.NewStore(srcs)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	files := map[string]string{}
	for _, s := range secrets {
		if s.File != "" {
			files[s.ID] = s.File
		}
	}
	return append(out, secretsprovider.NewSecretProvider(boundedSecrets{store, files})), nil
}

// boundedSecrets reads secret files as regular files of at most BuildKit's
// MaxSecretSize: BuildKit's own store would block forever on a FIFO.
type boundedSecrets struct {
	secrets.SecretStore
	files map[string]string // id -> path
}

func (b boundedSecrets) GetSecret(ctx context.Context, id string) ([]byte, error) {
	if p, ok := b.files[id]; ok {
		return safefile.Read(p, secretsprovider.MaxSecretSize)
	}
	return b.SecretStore.GetSecret(ctx, id)
}

// Solve implements Interface: one session on the node that takes the
// platform.
func (n *Nodes) Solve(ctx context.Context, req Request) (*Result, error) {
	routes, err := builders.Route(n.cfg.Builder, n.nodes, []platform.Platform{req.Platform})
	if err != nil {
		return nil, err
	}
	node := routes[req.Platform]
	if req.Load && (n.cfg.Provenance.Enabled() || n.cfg.SBOM.Enabled()) {
		return nil, fmt.Errorf("image %s for %s: BuildKit's docker exporter cannot carry attestations; load without --provenance and --sbom", req.Image, req.Platform)
	}
	so, err := n.solveOpt(req)
	if err != nil {
		return nil, err
	}
	var load *loading
	if req.Load {
		var exp client.ExportEntry
		if exp, load, err = n.loadExport(ctx, req); err != nil {
			return nil, err
		}
		// First: the push's digest must win (see solveOpt).
		so.Exports = append([]client.ExportEntry{exp}, so.Exports...)
	}
	build := func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
		return n.build(ctx, gw, req)
	}
	ch, wait := n.prog.channel()
	resp, err := node.Client.Build(ctx, so, "", build, ch)
	wait()
	var loaded []string
	if load != nil {
		var lerr error
		if loaded, lerr = load.finish(err); lerr != nil && err == nil {
			return nil, fmt.Errorf("image %s for %s: %w", req.Image, req.Platform, lerr)
		}
	}
	if err != nil {
		return nil, n.prog.explain(n.cfg.SpecFile, n.cfg.StepAt, err, req.Image, req.Platform, nodeName(n.cfg.Builder, node))
	}
	res := &Result{Image: req.Image, Platform: req.Platform, Node: node.Name, Loaded: loaded}
	res.Manifest = digest.Digest(resp.ExporterResponse[exptypes.ExporterImageDigestKey])
	if res.Attested, err = exportedIndex(resp.ExporterResponse); err != nil {
		return nil, fmt.Errorf("image %s for %s: %w", req.Image, req.Platform, err)
	}
	return res, nil
}

// nodeName names the node in errors, unless it is the only daemon.
func nodeName(b *builders.Builder, c *builders.Conn) string {
	if b.Single() {
		return ""
	}
	return c.Name
}

func (n *Nodes) solveOpt(req Request) (client.SolveOpt, error) {
	so := client.SolveOpt{
		LocalMounts: map[string]fsutil.FS{},
		Session:     n.attach,
		// Not nil: with cache imports, BuildKit's client copies into it.
		FrontendAttrs:       map[string]string{"platform": req.Platform.String()},
		AllowedEntitlements: req.Entitlements,
	}
	provenanceAttrs(so.FrontendAttrs, n.cfg.Provenance)
	for name, dir := range req.Locals {
		fs, err := fsutil.NewFS(dir)
		if err != nil {
			return so, fmt.Errorf("build context %s: %w", dir, err)
		}
		so.LocalMounts[name] = fs
	}
	if req.LayoutDir != "" {
		attrs := map[string]string{"oci-mediatypes": "true", "tar": "false"}
		n.epochAttrs(attrs)
		annotationAttrs(attrs, req.Annotations)
		so.Exports = append(so.Exports, client.ExportEntry{Type: client.ExporterOCI, Attrs: attrs, OutputDir: req.LayoutDir})
	}
	// The push last: BuildKit merges its exporters' responses, the last
	// one's digest winning, and the pushed manifest is the one publish
	// needs (a load's docker media types make another digest).
	if req.Push {
		attrs := map[string]string{
			"name":           req.Repository,
			"push":           "true",
			"push-by-digest": "true",
			"oci-mediatypes": "true",
		}
		if req.Insecure {
			attrs["registry.insecure"] = "true"
		}
		n.epochAttrs(attrs)
		annotationAttrs(attrs, req.Annotations)
		so.Exports = append(so.Exports, client.ExportEntry{Type: client.ExporterImage, Attrs: attrs})
	}
	for _, c := range req.CacheTo {
		so.CacheExports = append(so.CacheExports, client.CacheOptionsEntry{Type: c.Type, Attrs: c.Attrs})
	}
	// The client hands imports to the build function as the frontend
	// option cache-imports, after serving local ones from the session
	// (and pinning them to their digest).
	for _, c := range req.CacheFrom {
		so.CacheImports = append(so.CacheImports, client.CacheOptionsEntry{Type: c.Type, Attrs: maps.Clone(c.Attrs)})
	}
	return so, nil
}

// annotationAttrs asks BuildKit's exporters to annotate the platform's
// manifest (the index is bricklayer's, annotated in publish).
func annotationAttrs(attrs, annotations map[string]string) {
	for k, v := range annotations {
		attrs["annotation-manifest."+k] = v
	}
}

// epochAttrs makes an export reproducible: BuildKit clamps the times in
// the layers and the config to the epoch.
func (n *Nodes) epochAttrs(attrs map[string]string) {
	if n.cfg.Epoch == nil {
		return
	}
	attrs["source-date-epoch"] = strconv.FormatInt(n.cfg.Epoch.Unix(), 10)
	attrs["rewrite-timestamp"] = "true"
}

// build solves the plan's definition, its local sources bound to this
// session, and gives the result the target's image config.
func (n *Nodes) build(ctx context.Context, gw gateway.Client, req Request) (*gateway.Result, error) {
	if n.cfg.Provenance.Enabled() || n.cfg.SBOM.Enabled() {
		if err := canAttest(gw); err != nil {
			return nil, err
		}
	}
	def, err := bindLocals(req.Definition, gw.BuildOpts().SessionID, n.cfg.Host, req.Locals)
	if err != nil {
		return nil, fmt.Errorf("image %s for %s: %w", req.Image, req.Platform, err)
	}
	sreq := gateway.SolveRequest{Definition: def, Evaluate: true}
	if dt := gw.BuildOpts().Opts["cache-imports"]; dt != "" {
		var imports []gateway.CacheOptionsEntry
		if err := json.Unmarshal([]byte(dt), &imports); err != nil {
			return nil, fmt.Errorf("cache imports: %w", err)
		}
		sreq.CacheImports = imports
	}
	res, err := gw.Solve(ctx, sreq)
	if err != nil {
		return nil, err
	}
	res.AddMeta(exptypes.ExporterImageConfigKey, req.Config)
	if n.cfg.SBOM.Enabled() {
		// The generator runs on the node's own platform and scans the
		// image as solved.
		bp := DefaultBuildPlatform
		if ws := gw.BuildOpts().Workers; len(ws) > 0 && len(ws[0].Platforms) > 0 {
			bp = ws[0].Platforms[0]
		}
		ref, err := res.SingleRef()
		if err != nil {
			return nil, err
		}
		st, err := ref.ToState()
		if err != nil {
			return nil, err
		}
		if err := attachSBOM(ctx, gw, res, n.cfg.SBOM.Generator, bp, req.Platform, st); err != nil {
			return nil, err
		}
	}
	return res, nil
}
