package pipeline_test

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/buildopt"
	"github.com/bricklayer-build/bricklayer/internal/ociread"
	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/solve"
	"github.com/bricklayer-build/bricklayer/spec"
)

// events is the order of the calls the fakes received, shared by the
// solver and the publisher of a test.
type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) add(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, fmt.Sprintf(format, args...))
}

func (e *events) all() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.list)
}

// fakeSolver records every request; Run calls Solve concurrently.
type fakeSolver struct {
	ev *events
	// checkErr is what Route returns.
	checkErr error
	// fail is the image and platform ("b linux/arm64") whose solve fails
	// with errSolve.
	fail string
	// attest exports as BuildKit does with provenance: an index of the
	// image and its attestation manifest.
	attest bool
	// share, a registry's host, has Solve push each image's platforms
	// there as one index, as a session of them all does.
	share string

	mu     sync.Mutex
	checks [][]platform.Platform
	reqs   []solve.Request
	pushed []string // "image platform digest [attestation]", with share
}

var errSolve = errors.New("fake solve failure")

func newFakes() (*fakeSolver, *fakePublisher) {
	ev := &events{}
	return &fakeSolver{ev: ev}, &fakePublisher{ev: ev}
}

func (f *fakeSolver) Route(ctx context.Context, plats []platform.Platform) (map[platform.Platform]platform.Platform, error) {
	f.ev.add("check")
	f.mu.Lock()
	f.checks = append(f.checks, slices.Clone(plats))
	f.mu.Unlock()
	if f.checkErr != nil {
		return nil, f.checkErr
	}
	out := map[platform.Platform]platform.Platform{}
	for _, p := range plats {
		out[p] = platform.Platform{OS: "linux", Architecture: "amd64"}
	}
	return out, nil
}

// runOpts are a test's selection and run options in one.
type runOpts struct {
	Images             []string
	Platforms          []platform.Platform
	Args               map[string]string
	Push               bool
	Output             *buildopt.Output
	Load               *platform.Platform
	CacheTo, CacheFrom []buildopt.Cache
	Record             func([]*pipeline.ImageResult) error
	Sign               func(context.Context, []*pipeline.ImageResult) error
}

// run plans s for sv as build does and runs the plan.
func run(ctx context.Context, s *spec.Spec, sv solve.Interface, pub pipeline.Publisher, o runOpts) ([]*pipeline.ImageResult, error) {
	p, err := pipeline.Plan(ctx, s, sv, plan.Options{Images: o.Images, Platforms: o.Platforms, Args: o.Args, Definitions: true})
	if err != nil {
		return nil, err
	}
	return pipeline.Run(ctx, p, sv, pub, pipeline.Options{Push: o.Push, Output: o.Output, Load: o.Load, CacheTo: o.CacheTo, CacheFrom: o.CacheFrom, Record: o.Record, Sign: o.Sign})
}

// Solve solves each platform as a session of its own would, or with
// share, all of them as one session.
func (f *fakeSolver) Solve(ctx context.Context, reqs []solve.Request) ([]*solve.Result, error) {
	if f.share != "" {
		return f.solveShared(ctx, reqs)
	}
	var out []*solve.Result
	for _, req := range reqs {
		res, err := f.solveOne(ctx, req)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

func (f *fakeSolver) solveOne(ctx context.Context, req solve.Request) (*solve.Result, error) {
	key := req.Image + " " + req.Platform.String()
	f.ev.add("solve %s", key)
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if key == f.fail {
		return nil, fmt.Errorf("%s: %w", key, errSolve)
	}
	res := &solve.Result{Image: req.Image, Platform: req.Platform, Node: "fake", Manifest: digest.FromString(key), Attested: f.attest}
	if req.Load {
		res.Loaded = []string{"loaded " + strings.Join(req.LoadNames, ",")}
	}
	if req.LayoutDir != "" {
		write := writeImageLayout
		if f.attest {
			write = writeAttestedLayout
		}
		d, err := write(req.LayoutDir, key)
		if err != nil {
			return nil, err
		}
		res.Manifest = d
	}
	return res, nil
}

// requests are the requests received, by "image platform".
func (f *fakeSolver) requests() map[string]solve.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]solve.Request{}
	for _, r := range f.reqs {
		m[r.Image+" "+r.Platform.String()] = r
	}
	return m
}

// writeImageLayout writes a single-image OCI layout at dir, as BuildKit's
// OCI exporter does, of an image made from seed, and returns the image's
// manifest digest.
func writeImageLayout(dir, seed string) (digest.Digest, error) {
	h := fnv.New64a()
	io.WriteString(h, seed)
	img, err := random.Image(256, 1, random.WithSource(rand.NewSource(int64(h.Sum64()))))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", err
	}
	if err := lp.AppendImage(img); err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return digest.Digest(d.String()), nil
}

type pushIndexCall struct {
	repo      string
	manifests []publish.Manifest
	digest    digest.Digest
}

// fakePublisher records PushIndex and MoveTags calls. Its MoveTags returns
// the references as publish.Registry does: name.Tag strings.
type fakePublisher struct {
	ev *events
	// wrong maps digests to what Check finds them to be: listed in an
	// index, they are mismatches.
	wrong map[digest.Digest]string

	mu     sync.Mutex
	pushes []pushIndexCall
	moves  [][]publish.Tagging
}

func (p *fakePublisher) IsInsecure(repo string) bool {
	return strings.HasPrefix(repo, "localhost:5000/")
}

// Unfold gives made-up digests of the image and attestation manifests
// in the index d.
func (p *fakePublisher) Unfold(ctx context.Context, repo string, d digest.Digest) (digest.Digest, digest.Digest, error) {
	p.ev.add("unfold %s", repo)
	return unfolded(d)
}

func unfolded(d digest.Digest) (digest.Digest, digest.Digest, error) {
	return digest.FromString("image " + d.String()), digest.FromString("attestation " + d.String()), nil
}

func (p *fakePublisher) Copy(ctx context.Context, from, to string, manifests []publish.Manifest) error {
	p.ev.add("copy %s %s", from, to)
	return nil
}

// NameOptions and RemoteOptions reach a test's own registry (see
// TestSharedSession) over plain HTTP.
func (p *fakePublisher) NameOptions(repo string) []name.Option { return []name.Option{name.Insecure} }

func (p *fakePublisher) RemoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx)}
}

func (p *fakePublisher) PushIndex(ctx context.Context, repo string, manifests []publish.Manifest, annotations map[string]string) (digest.Digest, error) {
	p.ev.add("pushindex %s", repo)
	// The index's bytes are its manifests', whatever the repository.
	s := "index"
	for _, m := range manifests {
		s += " " + m.Platform.String() + "=" + m.Digest.String()
	}
	d := digest.FromString(s)
	p.mu.Lock()
	p.pushes = append(p.pushes, pushIndexCall{repo: repo, manifests: slices.Clone(manifests), digest: d})
	p.mu.Unlock()
	return d, nil
}

// Check finds every manifest what it is listed as, but those of wrong.
func (p *fakePublisher) Check(ctx context.Context, indexes []publish.Index) ([]*publish.Checked, error) {
	p.ev.add("check %d", len(indexes))
	var out []*publish.Checked
	var mm []publish.Mismatch
	for i, idx := range indexes {
		for j, m := range idx.Manifests {
			if msg, ok := p.wrong[m.Digest]; ok {
				mm = append(mm, publish.Mismatch{Index: i, Entry: j, Platform: m.Platform, Msg: msg})
			}
		}
		out = append(out, &publish.Checked{Index: idx})
	}
	if len(mm) > 0 {
		return nil, &publish.MismatchError{Mismatches: mm}
	}
	return out, nil
}

// PushChecked records the push as PushIndex does.
func (p *fakePublisher) PushChecked(ctx context.Context, c *publish.Checked, annotations map[string]string) (digest.Digest, error) {
	return p.PushIndex(ctx, c.Repository, c.Manifests, annotations)
}

func (p *fakePublisher) MoveTags(ctx context.Context, jobs []publish.Tagging) ([]string, error) {
	p.ev.add("movetags")
	p.mu.Lock()
	p.moves = append(p.moves, slices.Clone(jobs))
	p.mu.Unlock()
	var moved []string
	for _, j := range jobs {
		for _, t := range j.Tags {
			tag, err := name.NewTag(j.Repository + ":" + t)
			if err != nil {
				return moved, err
			}
			moved = append(moved, tag.String())
		}
	}
	return moved, nil
}

// load writes src as the spec of a temporary directory and loads it.
func load(t *testing.T, src string) *spec.Spec {
	t.Helper()
	file := filepath.Join(t.TempDir(), spec.FileName)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse(file, []byte(src))
	if err != nil {
		t.Fatalf("loading spec: %v", spec.Diagnostics(err))
	}
	return s
}

func plat(t *testing.T, s string) platform.Platform {
	t.Helper()
	p, err := platform.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustCache(t *testing.T, s string) buildopt.Cache {
	t.Helper()
	c, err := buildopt.ParseCache(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// untar extracts the tar file at file into a new directory.
func untar(t *testing.T, file string) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Fatalf("tar entry %q escapes the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			dt, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, dt, 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("unexpected tar entry %q of type %c", h.Name, h.Typeflag)
		}
	}
	return dir
}

const twoPlatformSpec = `
images: app: {
	repository: "ghcr.io/acme/app"
	platforms: ["linux/amd64", "linux/arm/v7"]
	from: "scratch"
	tags: ["1", "latest"]
	steps: [{run: "true"}]
}
`

// TestOutputWithCacheExport is the defect fixed: an OCI output together
// with a local cache export used to be refused.
func TestOutputWithCacheExport(t *testing.T) {
	s := load(t, twoPlatformSpec)
	sv, pub := newFakes()
	out := filepath.Join(t.TempDir(), "out.tar")
	cacheDir := filepath.Join(t.TempDir(), "cache")
	opts := runOpts{
		Output:  &buildopt.Output{Type: "oci", Dest: out, Tar: true},
		CacheTo: []buildopt.Cache{mustCache(t, "type=local,dest="+cacheDir)},
	}
	results, err := run(context.Background(), s, sv, pub, opts)
	if err != nil {
		t.Fatal(err)
	}

	reqs := sv.requests()
	if got, want := keys(reqs), []string{"app linux/amd64", "app linux/arm/v7"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
	dirs := map[string]bool{}
	for k, r := range reqs {
		if r.LayoutDir == "" {
			t.Errorf("%s: no LayoutDir", k)
		}
		if dirs[r.LayoutDir] {
			t.Errorf("%s: LayoutDir %s shared with another request", k, r.LayoutDir)
		}
		dirs[r.LayoutDir] = true
		if r.Push {
			t.Errorf("%s: Push without opts.Push", k)
		}
		if len(r.CacheFrom) != 0 {
			t.Errorf("%s: CacheFrom %v, want none", k, r.CacheFrom)
		}
		if len(r.CacheTo) != 1 {
			t.Errorf("%s: CacheTo %v, want one", k, r.CacheTo)
			continue
		}
		want := filepath.Join(cacheDir, "app", r.Platform.Slug())
		if c := r.CacheTo[0]; c.Type != "local" || c.Attrs["dest"] != want {
			t.Errorf("%s: CacheTo %+v, want type=local,dest=%s", k, c, want)
		}
	}
	// The per-platform layouts are temporary.
	for d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("layout %s left behind (stat: %v)", d, err)
		}
	}

	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	if r.Output != out {
		t.Errorf("Output %q, want %q", r.Output, out)
	}
	if len(r.Tags) != 0 {
		t.Errorf("Tags %v without push", r.Tags)
	}

	idxs, err := ociread.Read(untar(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if len(idxs) != 1 {
		t.Fatalf("the layout holds %d indexes, want one", len(idxs))
	}
	desc := idxs[0].Desc
	if got := desc.Annotations["org.opencontainers.image.ref.name"]; got != "1" {
		t.Errorf("ref name %q, want the first tag %q", got, "1")
	}
	if got := digest.Digest(desc.Digest.String()); got != r.Digest {
		t.Errorf("result digest %s, the layout's index %s", r.Digest, got)
	}
	im := idxs[0]
	wantPlats := []platform.Platform{plat(t, "linux/amd64"), plat(t, "linux/arm/v7")}
	if len(im.Manifests) != len(wantPlats) {
		t.Fatalf("the index has %d manifests, want %d", len(im.Manifests), len(wantPlats))
	}
	if len(r.Platforms) != len(wantPlats) {
		t.Fatalf("result platforms %v, want %v", r.Platforms, wantPlats)
	}
	for i, m := range im.Manifests {
		if m.Platform == nil {
			t.Fatalf("manifest %d has no platform", i)
		}
		got := platform.Of(ocispecs.Platform{OS: m.Platform.OS, Architecture: m.Platform.Architecture, Variant: m.Platform.Variant})
		if got != wantPlats[i] {
			t.Errorf("manifest %d is %s, want %s", i, got, wantPlats[i])
		}
		if _, err := im.Index.Image(m.Digest); err != nil {
			t.Errorf("manifest %d (%s): %v", i, m.Digest, err)
		}
		if r.Platforms[i].Platform != wantPlats[i] || r.Platforms[i].Digest.String() != m.Digest.String() {
			t.Errorf("result platform %d = %+v, the index has %s %s", i, r.Platforms[i], got, m.Digest)
		}
	}

	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.pushes) != 0 || len(pub.moves) != 0 {
		t.Errorf("publisher called without push: %d PushIndex, %d MoveTags", len(pub.pushes), len(pub.moves))
	}
}

// TestOutputSeveralImages writes one layout per image under Dest.
func TestOutputSeveralImages(t *testing.T) {
	s := load(t, `
images: {
	a: {repository: "ghcr.io/acme/a", from: "scratch", steps: [{run: "true"}]}
	b: {repository: "ghcr.io/acme/b", from: "scratch", steps: [{run: "true"}]}
}`)
	sv, pub := newFakes()
	out := filepath.Join(t.TempDir(), "out")
	results, err := run(context.Background(), s, sv, pub, runOpts{
		Output: &buildopt.Output{Type: "oci", Dest: out, Tar: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	for _, r := range results {
		want := filepath.Join(out, r.Name+".tar")
		if r.Output != want {
			t.Errorf("%s: Output %q, want %q", r.Name, r.Output, want)
		}
		if _, err := os.Stat(want); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
		if r.Digest == "" {
			t.Errorf("%s: no index digest", r.Name)
		}
	}
	if results[0].Digest == results[1].Digest {
		t.Errorf("both images have index %s", results[0].Digest)
	}
}

const twoImageSpec = `
images: {
	a: {
		repository: "ghcr.io/acme/a"
		platforms: ["linux/amd64", "linux/arm64"]
		from: "scratch"
		tags: ["1", "latest"]
		steps: [{run: "true"}]
	}
	b: {
		repository: "localhost:5000/acme/b"
		platforms: ["linux/arm64", "linux/amd64", "linux/arm/v7"]
		from: "scratch"
		tags: ["2"]
		steps: [{run: "true"}]
	}
}
`

func TestPush(t *testing.T) {
	s := load(t, twoImageSpec)
	sv, pub := newFakes()
	results, err := run(context.Background(), s, sv, pub, runOpts{Push: true})
	if err != nil {
		t.Fatal(err)
	}

	reqs := sv.requests()
	wantReqs := []string{"a linux/amd64", "a linux/arm64", "b linux/amd64", "b linux/arm/v7", "b linux/arm64"}
	if got := keys(reqs); !reflect.DeepEqual(got, wantReqs) {
		t.Fatalf("requests %v, want %v", got, wantReqs)
	}
	for k, r := range reqs {
		im := s.Images[r.Image]
		if !r.Push {
			t.Errorf("%s: Push false", k)
		}
		if r.Repository != im.Repository {
			t.Errorf("%s: Repository %q, want %q", k, r.Repository, im.Repository)
		}
		if want := r.Image == "b"; r.Insecure != want {
			t.Errorf("%s: Insecure %v, want %v", k, r.Insecure, want)
		}
		if r.LayoutDir != "" {
			t.Errorf("%s: LayoutDir %q without output", k, r.LayoutDir)
		}
	}

	pub.mu.Lock()
	pushes := slices.Clone(pub.pushes)
	moves := slices.Clone(pub.moves)
	pub.mu.Unlock()

	if len(pushes) != 2 {
		t.Fatalf("%d PushIndex calls, want 2: %+v", len(pushes), pushes)
	}
	pushed := map[string]pushIndexCall{}
	for _, p := range pushes {
		if _, dup := pushed[p.repo]; dup {
			t.Errorf("PushIndex called twice for %s", p.repo)
		}
		pushed[p.repo] = p
	}
	for _, n := range []string{"a", "b"} {
		im := s.Images[n]
		p, ok := pushed[im.Repository]
		if !ok {
			t.Errorf("no PushIndex for %s", im.Repository)
			continue
		}
		var want []publish.Manifest
		for _, pl := range im.Platforms {
			want = append(want, publish.Manifest{Platform: pl, Digest: digest.FromString(n + " " + pl.String())})
		}
		if !reflect.DeepEqual(p.manifests, want) {
			t.Errorf("PushIndex %s manifests\n got %v\nwant %v", im.Repository, p.manifests, want)
		}
	}

	// MoveTags once, after every PushIndex.
	ev := sv.ev.all()
	lastPush, firstMove, moveCount := -1, -1, 0
	for i, e := range ev {
		if strings.HasPrefix(e, "pushindex ") {
			lastPush = i
		}
		if e == "movetags" {
			moveCount++
			if firstMove < 0 {
				firstMove = i
			}
		}
	}
	if moveCount != 1 || len(moves) != 1 {
		t.Fatalf("MoveTags called %d times, want once (events %v)", moveCount, ev)
	}
	if firstMove < lastPush {
		t.Errorf("MoveTags before a PushIndex: %v", ev)
	}
	jobs := map[string]publish.Tagging{}
	for _, j := range moves[0] {
		jobs[j.Image] = j
	}
	if got := keys(jobs); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("MoveTags images %v, want [a b]", got)
	}
	wantTags := map[string][]string{"a": {"1", "latest"}, "b": {"2"}}
	for n, j := range jobs {
		im := s.Images[n]
		if j.Repository != im.Repository {
			t.Errorf("tagging %s: repository %q, want %q", n, j.Repository, im.Repository)
		}
		if j.Index != pushed[im.Repository].digest {
			t.Errorf("tagging %s: index %s, PushIndex returned %s", n, j.Index, pushed[im.Repository].digest)
		}
		if !reflect.DeepEqual(j.Tags, wantTags[n]) {
			t.Errorf("tagging %s: tags %v, want %v", n, j.Tags, wantTags[n])
		}
	}

	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	wantRefs := map[string][]string{
		"a": {"ghcr.io/acme/a:1", "ghcr.io/acme/a:latest"},
		"b": {"localhost:5000/acme/b:2"},
	}
	for _, r := range results {
		if r.Digest != pushed[r.Repository].digest {
			t.Errorf("%s: digest %s, PushIndex returned %s", r.Name, r.Digest, pushed[r.Repository].digest)
		}
		if !reflect.DeepEqual(r.Tags, wantRefs[r.Name]) {
			t.Errorf("%s: tags %v, want %v", r.Name, r.Tags, wantRefs[r.Name])
		}
		if got, want := len(r.Platforms), len(s.Images[r.Name].Platforms); got != want {
			t.Errorf("%s: %d platforms, want %d", r.Name, got, want)
		}
	}
}

// TestPushDockerHubTags: the references MoveTags reports for a Docker Hub
// image (whose Repository the spec normalizes to docker.io/...) are
// credited to it.
func TestPushDockerHubTags(t *testing.T) {
	s := load(t, `
images: hub: {
	repository: "acme/hub"
	from: "scratch"
	tags: ["1"]
	steps: [{run: "true"}]
}`)
	sv, pub := newFakes()
	results, err := run(context.Background(), s, sv, pub, runOpts{Push: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	if r.Repository != "docker.io/acme/hub" {
		t.Errorf("repository %q, want docker.io/acme/hub", r.Repository)
	}
	if want := []string{"docker.io/acme/hub:1"}; !reflect.DeepEqual(r.Tags, want) {
		t.Errorf("tags %v, want %v", r.Tags, want)
	}
}

func TestFailingPlatformMovesNoTag(t *testing.T) {
	s := load(t, twoImageSpec)
	sv, pub := newFakes()
	sv.fail = "b linux/arm64"
	results, err := run(context.Background(), s, sv, pub, runOpts{Push: true})
	if !errors.Is(err, errSolve) {
		t.Fatalf("Run: results %v, error %v; want the solve's error", results, err)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.moves) != 0 {
		t.Errorf("MoveTags called after a failed solve: %+v", pub.moves)
	}
}

func TestPlatformFilter(t *testing.T) {
	s := load(t, `
images: {
	a: {
		repository: "ghcr.io/acme/a"
		platforms: ["linux/amd64", "linux/arm64"]
		from: "scratch"
		steps: [{run: "true"}]
	}
	b: {
		repository: "ghcr.io/acme/b"
		platforms: ["linux/amd64", "linux/arm/v7"]
		from: "scratch"
		steps: [{run: "true"}]
	}
}`)
	arm64 := plat(t, "linux/arm64")

	t.Run("some", func(t *testing.T) {
		sv, pub := newFakes()
		results, err := run(context.Background(), s, sv, pub, runOpts{Platforms: []platform.Platform{arm64}})
		if err != nil {
			t.Fatal(err)
		}
		if got := keys(sv.requests()); !reflect.DeepEqual(got, []string{"a linux/arm64"}) {
			t.Errorf("requests %v, want [a linux/arm64]", got)
		}
		if len(results) != 1 || results[0].Name != "a" {
			var names []string
			for _, r := range results {
				names = append(names, r.Name)
			}
			t.Fatalf("results %v, want [a]", names)
		}
		want := []publish.Manifest{{Platform: arm64, Digest: digest.FromString("a linux/arm64")}}
		var got []publish.Manifest
		for _, p := range results[0].Platforms {
			got = append(got, publish.Manifest{Platform: p.Platform, Digest: p.Digest})
			if p.LLB == "" {
				t.Errorf("%s: no LLB digest", p.Platform)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("platforms %v, want %v", results[0].Platforms, want)
		}
		if !reflect.DeepEqual(sv.checks, [][]platform.Platform{{arm64}}) {
			t.Errorf("Check got %v, want [[linux/arm64]]", sv.checks)
		}
	})

	t.Run("none", func(t *testing.T) {
		sv, pub := newFakes()
		results, err := run(context.Background(), s, sv, pub, runOpts{Platforms: []platform.Platform{plat(t, "linux/riscv64")}})
		if err == nil {
			t.Fatalf("no error; results %v", results)
		}
		if !strings.Contains(err.Error(), "linux/riscv64") {
			t.Errorf("error %q does not name the platform", err)
		}
		if n := len(sv.requests()); n != 0 {
			t.Errorf("%d solves", n)
		}
	})
}

func TestUnknownImage(t *testing.T) {
	s := load(t, twoImageSpec)
	sv, pub := newFakes()
	_, err := run(context.Background(), s, sv, pub, runOpts{Images: []string{"a", "nosuch"}})
	var ue *plan.UnknownImageError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v (%T), want *plan.UnknownImageError", err, err)
	}
	if ue.Name != "nosuch" {
		t.Errorf("Name %q, want nosuch", ue.Name)
	}
	if !strings.Contains(err.Error(), "a, b") {
		t.Errorf("error %q does not list the images", err)
	}
	if n := len(sv.requests()); n != 0 {
		t.Errorf("%d solves", n)
	}
}

func TestCheckBeforeSolve(t *testing.T) {
	s := load(t, twoImageSpec)
	wantPlats := []platform.Platform{plat(t, "linux/amd64"), plat(t, "linux/arm64"), plat(t, "linux/arm/v7")}

	t.Run("ok", func(t *testing.T) {
		sv, pub := newFakes()
		if _, err := run(context.Background(), s, sv, pub, runOpts{}); err != nil {
			t.Fatal(err)
		}
		ev := sv.ev.all()
		if len(ev) == 0 || ev[0] != "check" {
			t.Fatalf("events %v, want check first", ev)
		}
		if slices.Contains(ev[1:], "check") {
			t.Errorf("Check called more than once: %v", ev)
		}
		if len(sv.checks) != 1 {
			t.Fatalf("Check calls %v", sv.checks)
		}
		got := slices.Clone(sv.checks[0])
		want := slices.Clone(wantPlats)
		cmp := func(a, b platform.Platform) int { return strings.Compare(a.String(), b.String()) }
		slices.SortFunc(got, cmp)
		slices.SortFunc(want, cmp)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Check got %v, want the set %v", sv.checks[0], wantPlats)
		}
	})

	t.Run("refused", func(t *testing.T) {
		sv, pub := newFakes()
		errCheck := errors.New("no node for linux/arm/v7")
		sv.checkErr = errCheck
		_, err := run(context.Background(), s, sv, pub, runOpts{Push: true})
		if !errors.Is(err, errCheck) {
			t.Fatalf("error %v, want Check's", err)
		}
		if n := len(sv.requests()); n != 0 {
			t.Errorf("%d solves after Check refused", n)
		}
		if len(pub.pushes) != 0 || len(pub.moves) != 0 {
			t.Errorf("published after Check refused")
		}
	})
}

func TestCacheOptOut(t *testing.T) {
	s := load(t, `
images: {
	cached: {
		repository: "ghcr.io/acme/cached"
		platforms: ["linux/amd64", "linux/arm64"]
		from: "scratch"
		steps: [{run: "true"}]
	}
	nocache: {
		repository: "ghcr.io/acme/nocache"
		platforms: ["linux/amd64", "linux/arm64"]
		from: "scratch"
		cache: false
		steps: [{run: "true"}]
	}
}`)
	sv, pub := newFakes()
	_, err := run(context.Background(), s, sv, pub, runOpts{
		CacheTo:   []buildopt.Cache{mustCache(t, "type=registry,ref=ghcr.io/acme/cache,mode=max")},
		CacheFrom: []buildopt.Cache{mustCache(t, "type=registry,ref=ghcr.io/acme/cache")},
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := sv.requests()
	if len(reqs) != 4 {
		t.Fatalf("requests %v, want 4", keys(reqs))
	}
	for k, r := range reqs {
		if r.Image == "nocache" {
			if len(r.CacheTo) != 0 || len(r.CacheFrom) != 0 {
				t.Errorf("%s: cache to %v from %v, want none", k, r.CacheTo, r.CacheFrom)
			}
			continue
		}
		want := "ghcr.io/acme/cache:cache-cached-" + r.Platform.Slug()
		if len(r.CacheTo) != 1 || r.CacheTo[0].Attrs["ref"] != want || r.CacheTo[0].Attrs["mode"] != "max" {
			t.Errorf("%s: CacheTo %v, want ref=%s,mode=max", k, r.CacheTo, want)
		}
		if len(r.CacheFrom) != 1 || r.CacheFrom[0].Attrs["ref"] != want {
			t.Errorf("%s: CacheFrom %v, want ref=%s", k, r.CacheFrom, want)
		}
	}
}

func TestEntitlementsPerPlatform(t *testing.T) {
	s := load(t, `
images: app: {
	repository: "ghcr.io/acme/app"
	platforms: ["linux/amd64", "linux/arm64"]
	from: "scratch"
	platform: "linux/arm64": steps: [{run: "true", network: "host"}]
}`)
	sv, pub := newFakes()
	if _, err := run(context.Background(), s, sv, pub, runOpts{}); err != nil {
		t.Fatal(err)
	}
	reqs := sv.requests()
	if got := reqs["app linux/arm64"].Entitlements; !reflect.DeepEqual(got, []string{"network.host"}) {
		t.Errorf("arm64 entitlements %v, want [network.host]", got)
	}
	amd, ok := reqs["app linux/amd64"]
	if !ok {
		t.Fatalf("no amd64 request: %v", keys(reqs))
	}
	if len(amd.Entitlements) != 0 {
		t.Errorf("amd64 entitlements %v, want none", amd.Entitlements)
	}
}

// TestSubsetPush: a push of some platforms (a CI matrix job) pushes them
// by digest, records their LLB digests, and assembles no index and moves
// no tag.
func TestSubsetPush(t *testing.T) {
	s := load(t, `
platforms: ["linux/amd64", "linux/arm64"]
images: a: {repository: "ghcr.io/acme/a", from: "scratch", steps: [{run: "true"}], tags: ["1"]}`)
	sv, pub := newFakes()
	results, err := run(context.Background(), s, sv, pub, runOpts{Push: true, Platforms: []platform.Platform{plat(t, "linux/arm64")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sv.requests() {
		if !r.Push {
			t.Errorf("%s %s: not pushed", r.Image, r.Platform)
		}
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.pushes) != 0 || len(pub.moves) != 0 {
		t.Errorf("a subset assembled an index or moved tags: %v, %v", pub.pushes, pub.moves)
	}
	if len(results) != 1 || !results[0].Partial || results[0].Digest != "" || len(results[0].Tags) != 0 || results[0].Platforms[0].LLB == "" {
		t.Errorf("results %+v", results[0])
	}
}

// TestLoad: with Load, the load platform's solve of every image also
// loads it into Docker under all its tags; the others are pushed as
// usual, and the tags move.
func TestLoad(t *testing.T) {
	s := load(t, `
images: a: {
	repository: "ghcr.io/acme/a"
	platforms: ["linux/amd64", "linux/arm/v7"]
	from: "scratch"
	steps: [{run: "true"}]
	tags: ["1.0", "latest"]
}`)
	arm := plat(t, "linux/arm/v7")
	sv, pub := newFakes()
	results, err := run(context.Background(), s, sv, pub, runOpts{Push: true, Load: &arm})
	if err != nil {
		t.Fatal(err)
	}
	reqs := sv.requests()
	if got := keys(reqs); !reflect.DeepEqual(got, []string{"a linux/amd64", "a linux/arm/v7"}) {
		t.Fatalf("requests %v", got)
	}
	if r := reqs["a linux/amd64"]; r.Load || !r.Push {
		t.Errorf("amd64: load %v push %v, want only a push", r.Load, r.Push)
	}
	want := []string{"ghcr.io/acme/a:1.0", "ghcr.io/acme/a:latest"}
	if r := reqs["a linux/arm/v7"]; !r.Load || !r.Push || !reflect.DeepEqual(r.LoadNames, want) {
		t.Errorf("arm/v7: load %v %v push %v, want a load of %v and a push", r.Load, r.LoadNames, r.Push, want)
	}
	if got := results[0].Loaded; !reflect.DeepEqual(got, []string{"loaded ghcr.io/acme/a:1.0,ghcr.io/acme/a:latest"}) {
		t.Errorf("loaded %v", got)
	}
	if len(results[0].Tags) != 2 {
		t.Errorf("tags %v, want both moved", results[0].Tags)
	}
}

// TestSharedRepositoryTags: two images may publish to one repository
// under different tags; each is credited with its own tags only.
func TestSharedRepositoryTags(t *testing.T) {
	s := load(t, `
images: {
	app: {repository: "ghcr.io/acme/app", from: "scratch", tags: ["1"], steps: [{run: "true"}]}
	debug: {repository: "ghcr.io/acme/app", from: "scratch", tags: ["1-debug"], steps: [{run: "false"}]}
}`)
	sv, pub := newFakes()
	results, err := run(context.Background(), s, sv, pub, runOpts{Push: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"app": {"ghcr.io/acme/app:1"}, "debug": {"ghcr.io/acme/app:1-debug"}}
	for _, r := range results {
		if !reflect.DeepEqual(r.Tags, want[r.Name]) {
			t.Errorf("%s: tags %v, want %v", r.Name, r.Tags, want[r.Name])
		}
	}
}

// TestPushWithOutputTagsPushedIndex: with --push and --output, the tags
// go to the index that was pushed, whatever the layout's digest.
func TestPushWithOutputTagsPushedIndex(t *testing.T) {
	s := load(t, twoPlatformSpec)
	sv, pub := newFakes()
	out := filepath.Join(t.TempDir(), "out")
	results, err := run(context.Background(), s, sv, pub, runOpts{
		Push: true, Output: &buildopt.Output{Type: "oci", Dest: out},
	})
	if err != nil {
		t.Fatal(err)
	}
	pub.mu.Lock()
	pushes, moves := slices.Clone(pub.pushes), slices.Clone(pub.moves)
	pub.mu.Unlock()
	if len(pushes) != 1 || len(moves) != 1 || len(moves[0]) != 1 {
		t.Fatalf("pushes %+v, moves %+v", pushes, moves)
	}
	if results[0].Digest != pushes[0].digest || moves[0][0].Index != pushes[0].digest {
		t.Errorf("result %s, tagged %s, pushed %s", results[0].Digest, moves[0][0].Index, pushes[0].digest)
	}
}
