package solve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/buildopt"
	"github.com/bricklayer-build/bricklayer/platform"
)

// group is the requests one BuildKit session solves on one node.
type group struct {
	node  *builders.Conn
	reqs  []Request
	index []int // of each request in the call's
}

// sessionsOf groups an image's requests into one session per node. A
// request keeps a session of its own when it loads into Docker (the
// docker exporter takes one platform) or exports cache: BuildKit exports
// each cache of a solve with every platform of its result, and each
// platform's cache is its own (buildopt.Cache.PerTarget), which a matrix
// runner building that platform alone must find as a full build left it.
// So does one whose local sources' names read other directories than the
// session's.
func sessionsOf(reqs []Request, routes map[platform.Platform]*builders.Conn) []*group {
	var out []*group
	shared := map[*builders.Conn]*group{}
	for i, r := range reqs {
		node := routes[r.Platform]
		if s := shared[node]; s != nil && !r.Load && len(r.CacheTo) == 0 && sameLocals(s.reqs, r) {
			s.reqs, s.index = append(s.reqs, r), append(s.index, i)
			continue
		}
		s := &group{node: node, reqs: []Request{r}, index: []int{i}}
		out = append(out, s)
		if !r.Load && len(r.CacheTo) == 0 && shared[node] == nil {
			shared[node] = s
		}
	}
	return out
}

// sameLocals says r's local sources read the directories the session's
// of the same names do.
func sameLocals(in []Request, r Request) bool {
	for _, o := range in {
		for name, dir := range r.Locals {
			if d, ok := o.Locals[name]; ok && d != dir {
				return false
			}
		}
	}
	return true
}

// platforms are the session's platforms, in its requests' order.
func (s *group) platforms() []platform.Platform {
	out := make([]platform.Platform, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = r.Platform
	}
	return out
}

// run solves a session: a single platform as a result of one image, the
// several as BuildKit's frontends give a multi-platform result, one ref
// per platform, so that one export writes or pushes them all.
func (n *Nodes) run(ctx context.Context, s *group) ([]*Result, error) {
	first := s.reqs[0]
	if first.Load && (n.cfg.Provenance.Enabled() || n.cfg.SBOM.Enabled()) {
		return nil, fmt.Errorf("image %s for %s: BuildKit's docker exporter cannot carry attestations; load without --provenance and --sbom", first.Image, first.Platform)
	}
	multi := len(s.reqs) > 1
	layout := first.LayoutDir
	if multi && layout != "" {
		// One layout of the session's platforms, split into each
		// request's own once exported.
		if err := os.MkdirAll(filepath.Dir(layout), 0o755); err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp(filepath.Dir(layout), ".session-")
		if err != nil {
			return nil, err
		}
		layout = dir
	}
	so, err := n.solveOpt(s.reqs, layout)
	if err != nil {
		return nil, err
	}
	var load *loading
	if first.Load {
		var exp client.ExportEntry
		if exp, load, err = n.loadExport(ctx, first); err != nil {
			return nil, err
		}
		// First: the push's digest must win (see solveOpt).
		so.Exports = append([]client.ExportEntry{exp}, so.Exports...)
	}
	var failed failure
	build := func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
		return n.build(ctx, gw, s.reqs, &failed)
	}
	ch, wait := n.prog.channel()
	resp, err := s.node.Client.Build(ctx, so, "", build, ch)
	wait()
	var loaded []string
	if load != nil {
		var lerr error
		if loaded, lerr = load.finish(err); lerr != nil && err == nil {
			return nil, fmt.Errorf("image %s for %s: %w", first.Image, first.Platform, lerr)
		}
	}
	if err != nil {
		plats := s.platforms()
		if p, ok := failed.platform(); ok {
			plats = []platform.Platform{p}
		}
		return nil, n.prog.explain(n.cfg.SpecFile, n.cfg.StepAt, err, first.Image, plats, nodeName(n.cfg.Builder, s.node))
	}
	out := make([]*Result, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = &Result{Image: r.Image, Platform: r.Platform, Node: s.node.Name, Loaded: loaded}
	}
	d := digest.Digest(resp.ExporterResponse[exptypes.ExporterImageDigestKey])
	if !multi {
		out[0].Manifest = d
		if out[0].Attested, err = exportedIndex(resp.ExporterResponse); err != nil {
			return nil, fmt.Errorf("image %s for %s: %w", first.Image, first.Platform, err)
		}
		return out, nil
	}
	if layout != "" {
		if err := splitLayout(layout, s.reqs, out); err != nil {
			return nil, fmt.Errorf("image %s: %w", first.Image, err)
		}
	}
	if first.Push {
		for _, r := range out {
			r.Manifest, r.Attested, r.Shared = d, false, true
		}
	}
	return out, nil
}

// failure keeps which platform's solve failed first: the daemon's error
// reaches the client as text, and the platform is this side's to say.
type failure struct {
	mu   sync.Mutex
	p    platform.Platform
	seen bool
}

func (f *failure) set(p platform.Platform, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// A sibling's failure cancels the others: theirs is not the cause.
	if !f.seen && !errors.Is(err, context.Canceled) {
		f.p, f.seen = p, true
	}
}

func (f *failure) platform() (platform.Platform, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.p, f.seen
}

// solveOpt is the session of reqs, exporting to an OCI layout at layout
// when set.
func (n *Nodes) solveOpt(reqs []Request, layout string) (client.SolveOpt, error) {
	first := reqs[0]
	var plats []string
	var ents []string
	for _, r := range reqs {
		plats = append(plats, r.Platform.String())
		for _, e := range r.Entitlements {
			if !slices.Contains(ents, e) {
				ents = append(ents, e)
			}
		}
	}
	so := client.SolveOpt{
		LocalMounts: map[string]fsutil.FS{},
		Session:     n.attach,
		// Not nil: with cache imports, BuildKit's client copies into it.
		// The platforms, as a frontend is asked for them: provenance
		// records them.
		FrontendAttrs: map[string]string{"platform": strings.Join(plats, ",")},
		// Each op asks for what it needs; allowing one platform's
		// entitlement gives nothing to another's ops.
		AllowedEntitlements: ents,
		Internal:            !n.cfg.History,
	}
	provenanceAttrs(so.FrontendAttrs, n.cfg.Provenance)
	for _, r := range reqs {
		for name, dir := range r.Locals {
			if _, ok := so.LocalMounts[name]; ok {
				continue // sessionsOf holds the same directory (sameLocals)
			}
			fs, err := fsutil.NewFS(dir)
			if err != nil {
				return so, fmt.Errorf("build context %s: %w", dir, err)
			}
			so.LocalMounts[name] = fs
		}
	}
	if layout != "" {
		attrs := map[string]string{"oci-mediatypes": "true", "tar": "false"}
		n.epochAttrs(attrs)
		annotationAttrs(attrs, first.Annotations)
		so.Exports = append(so.Exports, client.ExportEntry{Type: client.ExporterOCI, Attrs: attrs, OutputDir: layout})
	}
	// The push last: BuildKit merges its exporters' responses, the last
	// one's digest winning, and the pushed manifest is the one publish
	// needs (a load's docker media types make another digest).
	if first.Push {
		attrs := map[string]string{
			"name":           first.Repository,
			"push":           "true",
			"push-by-digest": "true",
			"oci-mediatypes": "true",
		}
		if first.Insecure {
			attrs["registry.insecure"] = "true"
		}
		n.epochAttrs(attrs)
		annotationAttrs(attrs, first.Annotations)
		so.Exports = append(so.Exports, client.ExportEntry{Type: client.ExporterImage, Attrs: attrs})
	}
	// Only a session of one request exports cache (sessionsOf).
	for _, c := range first.CacheTo {
		so.CacheExports = append(so.CacheExports, client.CacheOptionsEntry{Type: c.Type, Attrs: c.Attrs})
	}
	// The client hands imports to the build function as the frontend
	// option cache-imports, after serving local ones from the session
	// (and pinning them to their digest); the build function gives each
	// platform its own.
	for _, r := range reqs {
		for _, c := range r.CacheFrom {
			if !slices.ContainsFunc(so.CacheImports, func(e client.CacheOptionsEntry) bool { return sameCache(e.Type, e.Attrs, c.Type, c.Attrs) }) {
				so.CacheImports = append(so.CacheImports, client.CacheOptionsEntry{Type: c.Type, Attrs: maps.Clone(c.Attrs)})
			}
		}
	}
	return so, nil
}

// sameCache says two caches are the same, but for the digest BuildKit's
// client pins a local import to.
func sameCache(t1 string, a1 map[string]string, t2 string, a2 map[string]string) bool {
	if t1 != t2 {
		return false
	}
	strip := func(m map[string]string) map[string]string {
		m = maps.Clone(m)
		delete(m, "digest")
		return m
	}
	return maps.Equal(strip(a1), strip(a2))
}

// build solves each request's definition, its local sources bound to this
// session, and gives each result its image config: a single platform as
// the result's one ref, several as one ref per platform with the platforms
// mapping and per-platform configs and attestations, as BuildKit's
// frontends make a multi-platform result.
func (n *Nodes) build(ctx context.Context, gw gateway.Client, reqs []Request, failed *failure) (*gateway.Result, error) {
	if n.cfg.Provenance.Enabled() || n.cfg.SBOM.Enabled() {
		if err := canAttest(gw); err != nil {
			return nil, err
		}
	}
	var imports []gateway.CacheOptionsEntry
	if dt := gw.BuildOpts().Opts["cache-imports"]; dt != "" {
		if err := json.Unmarshal([]byte(dt), &imports); err != nil {
			return nil, fmt.Errorf("cache imports: %w", err)
		}
	}
	out := gateway.NewResult()
	refs := make([]gateway.Reference, len(reqs))
	eg, ectx := errgroup.WithContext(ctx)
	for i, req := range reqs {
		eg.Go(func() error {
			ref, err := n.solveTarget(ectx, gw, req, importsOf(imports, req, len(reqs) == 1))
			if err != nil {
				failed.set(req.Platform, err)
				return err
			}
			refs[i] = ref
			if n.cfg.SBOM.Enabled() {
				if err := n.attachSBOM(ectx, gw, out, req.Platform, ref); err != nil {
					failed.set(req.Platform, err)
					return err
				}
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	if len(reqs) == 1 {
		out.SetRef(refs[0])
		out.AddMeta(exptypes.ExporterImageConfigKey, reqs[0].Config)
		return out, nil
	}
	var ps exptypes.Platforms
	for i, req := range reqs {
		id := platformID(req.Platform)
		out.AddRef(id, refs[i])
		out.AddMeta(exptypes.ExporterImageConfigKey+"/"+id, req.Config)
		ps.Platforms = append(ps.Platforms, exptypes.Platform{ID: id, Platform: platforms.Normalize(req.Platform.OCI())})
	}
	dt, err := json.Marshal(ps)
	if err != nil {
		return nil, err
	}
	out.AddMeta(exptypes.ExporterPlatformsKey, dt)
	return out, nil
}

// platformID is the key BuildKit's exporters find a platform's ref,
// config and attestations under: the platform, normalized.
func platformID(p platform.Platform) string {
	return platforms.FormatAll(platforms.Normalize(p.OCI()))
}

// importsOf are the cache imports of req among the session's: its own
// (buildopt.Cache.PerTarget), or all of them for a session of one.
func importsOf(all []gateway.CacheOptionsEntry, req Request, alone bool) []gateway.CacheOptionsEntry {
	if alone {
		return all
	}
	var out []gateway.CacheOptionsEntry
	for _, e := range all {
		if slices.ContainsFunc(req.CacheFrom, func(c buildopt.Cache) bool { return sameCache(e.Type, e.Attrs, c.Type, c.Attrs) }) {
			out = append(out, e)
		}
	}
	return out
}

// solveTarget solves one request's definition, its local sources bound
// to this session.
func (n *Nodes) solveTarget(ctx context.Context, gw gateway.Client, req Request, imports []gateway.CacheOptionsEntry) (gateway.Reference, error) {
	def, err := bindLocals(req.Definition, gw.BuildOpts().SessionID, n.cfg.Host, req.Locals)
	if err != nil {
		return nil, fmt.Errorf("image %s for %s: %w", req.Image, req.Platform, err)
	}
	res, err := gw.Solve(ctx, gateway.SolveRequest{Definition: def, Evaluate: true, CacheImports: imports})
	if err != nil {
		return nil, err
	}
	return res.SingleRef()
}

// attachSBOM has the generator, on the node's own platform, scan the
// platform's image as solved.
func (n *Nodes) attachSBOM(ctx context.Context, gw gateway.Client, res *gateway.Result, p platform.Platform, ref gateway.Reference) error {
	bp := DefaultBuildPlatform
	if ws := gw.BuildOpts().Workers; len(ws) > 0 && len(ws[0].Platforms) > 0 {
		bp = ws[0].Platforms[0]
	}
	st, err := ref.ToState()
	if err != nil {
		return err
	}
	return attachSBOM(ctx, gw, res, n.cfg.SBOM.Generator, bp, p, st)
}
