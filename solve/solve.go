package solve

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/buildopt"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/platform"
)

// Interface builds images, an image's platforms per call. The build
// pipeline talks to BuildKit only through it, so it can be tested with a
// fake.
type Interface interface {
	// Route gives, for each platform, the build platform of the node
	// that takes it (the platform its build-platform stages run on), and
	// refuses, before anything is planned, a platform no node takes.
	Route(ctx context.Context, plats []platform.Platform) (map[platform.Platform]platform.Platform, error)
	// Solve builds one image for the platforms of reqs (one request per
	// platform, all of the same image, repository, push and annotations)
	// and exports each as its request says. The results are in the
	// order of reqs.
	Solve(ctx context.Context, reqs []Request) ([]*Result, error)
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

// Result is what one platform of a solve produced.
type Result struct {
	Image    string
	Platform platform.Platform
	// Node is the builder's node that built it.
	Node string
	// Manifest is the digest of the platform's image manifest, when it
	// was pushed or written to a layout; with Attested, of an index of it
	// and its attestation manifest (see Config.Provenance); with Shared,
	// of the index BuildKit pushed of every platform its session built:
	// their image manifests, then their attestation manifests.
	Manifest digest.Digest
	Attested bool
	Shared   bool
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
	// History records each session in BuildKit's build history (buildx
	// history, buildctl debug histories, Docker Desktop's Builds view).
	// Off, sessions are what BuildKit calls internal builds: finalizing a
	// record (its logs, trace and provenance) took the daemon a third of
	// a warm push of 20 images, and bricklayer's own record is the
	// metadata file.
	History bool
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

// Solve implements Interface: one session on each node that takes some of
// the platforms, which solves them all and exports them as one
// multi-platform result (see sessionsOf for those that keep their own).
func (n *Nodes) Solve(ctx context.Context, reqs []Request) ([]*Result, error) {
	plats := make([]platform.Platform, len(reqs))
	for i, r := range reqs {
		plats[i] = r.Platform
	}
	routes, err := builders.Route(n.cfg.Builder, n.nodes, plats)
	if err != nil {
		return nil, err
	}
	out := make([]*Result, len(reqs))
	eg, ectx := errgroup.WithContext(ctx)
	for _, s := range sessionsOf(reqs, routes) {
		eg.Go(func() error {
			res, err := n.run(ectx, s)
			// Each session writes its own requests' results.
			for i, r := range res {
				out[s.index[i]] = r
			}
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// nodeName names the node in errors, unless it is the only daemon.
func nodeName(b *builders.Builder, c *builders.Conn) string {
	if b.Single() {
		return ""
	}
	return c.Name
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
