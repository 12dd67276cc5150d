package llbgen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/proto"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

// load writes files (the spec as bricklayer.cue) to a temporary directory
// and loads the spec.
func load(t testing.TB, src string, files map[string]string) *spec.Spec {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, spec.FileName)
	s, err := spec.Parse(file, []byte(src))
	if err != nil {
		t.Fatalf("loading spec: %v", spec.Diagnostics(err))
	}
	return s
}

// graph is a lowered, marshalled and decoded target.
type graph struct {
	target *Target
	raw    []byte
	ops    map[digest.Digest]*pb.Op
	order  []digest.Digest
	root   digest.Digest
}

func lower(t testing.TB, s *spec.Spec, image, plat string, opts Options) *graph {
	t.Helper()
	ctx := context.Background()
	p, err := platform.Parse(plat)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := New(s, opts).Lower(ctx, image, p)
	if err != nil {
		t.Fatal(err)
	}
	def, err := tg.Marshal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Bytes(def)
	if err != nil {
		t.Fatal(err)
	}
	g := &graph{target: tg, raw: raw, ops: map[digest.Digest]*pb.Op{}, root: Digest(def)}
	for _, dt := range def.Def {
		var op pb.Op
		if err := proto.Unmarshal(dt, &op); err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(dt)
		g.ops[d] = &op
		g.order = append(g.order, d)
	}
	return g
}

func (g *graph) execs() []*pb.ExecOp {
	var out []*pb.ExecOp
	for _, d := range g.order {
		if e := g.ops[d].GetExec(); e != nil {
			out = append(out, e)
		}
	}
	return out
}

func (g *graph) sources() map[string]*pb.Op {
	out := map[string]*pb.Op{}
	for _, d := range g.order {
		if s := g.ops[d].GetSource(); s != nil {
			out[s.Identifier] = g.ops[d]
		}
	}
	return out
}

func (g *graph) files() []*pb.FileOp {
	var out []*pb.FileOp
	for _, d := range g.order {
		if f := g.ops[d].GetFile(); f != nil {
			out = append(out, f)
		}
	}
	return out
}

func env(e *pb.ExecOp, k string) (string, bool) {
	for _, kv := range e.Meta.Env {
		if name, v, _ := strings.Cut(kv, "="); name == k {
			return v, true
		}
	}
	return "", false
}

func TestRunStep(t *testing.T) {
	s := load(t, `
images: app: {
	repository: "example.com/app"
	from:       "debian:bookworm"
	platforms: ["linux/arm64"]
	env: LANG: "C.UTF-8"
	args: VERSION: "1.2"
	workdir: "/src"
	user:    "builder"
	steps: [
		{arg: {TARGETARCH: null, MODE: "fast"}},
		{
			run: "make $MODE"
			cache: [{target: "/root/.cache", sharing: "locked"}, {target: "/var/cache/apt", id: "apt"}]
			secrets: [{id: "token"}, {id: "npmrc", env: "NPM_TOKEN", required: true}]
			network: "none"
		},
		{run: ["echo", "exec", "form"]},
	]
}`, nil)
	g := lower(t, s, "app", "linux/arm64", Options{Args: map[string]string{"MODE": "slow"}})
	ex := g.execs()
	if len(ex) != 2 {
		t.Fatalf("got %d execs, want 2", len(ex))
	}
	e := ex[0]
	if got := e.Meta.Args; !slices.Equal(got, []string{"/bin/sh", "-c", "make $MODE"}) {
		t.Errorf("args = %q", got)
	}
	for k, want := range map[string]string{"LANG": "C.UTF-8", "VERSION": "1.2", "TARGETARCH": "arm64", "MODE": "slow"} {
		if v, _ := env(e, k); v != want {
			t.Errorf("env %s = %q, want %q (env %q)", k, v, want, e.Meta.Env)
		}
	}
	if e.Meta.Cwd != "/src" || e.Meta.User != "builder" {
		t.Errorf("cwd, user = %q, %q", e.Meta.Cwd, e.Meta.User)
	}
	if e.Network != pb.NetMode_NONE {
		t.Errorf("network = %v", e.Network)
	}
	var caches, secrets []string
	for _, m := range e.Mounts {
		switch m.MountType {
		case pb.MountType_CACHE:
			caches = append(caches, m.Dest+" "+m.CacheOpt.ID+" "+m.CacheOpt.Sharing.String())
		case pb.MountType_SECRET:
			secrets = append(secrets, m.Dest+" "+m.SecretOpt.ID+" "+boolStr(m.SecretOpt.Optional))
		}
	}
	// Without an id, the mount is scoped to the spec's repositories.
	if want := []string{"/root/.cache " + CacheScope(s) + ":/root/.cache LOCKED", "/var/cache/apt apt SHARED"}; !slices.Equal(caches, want) {
		t.Errorf("cache mounts = %q, want %q", caches, want)
	}
	if want := []string{"/run/secrets/token token optional"}; !slices.Equal(secrets, want) {
		t.Errorf("secret mounts = %q, want %q", secrets, want)
	}
	if len(e.Secretenv) != 1 || e.Secretenv[0].ID != "npmrc" || e.Secretenv[0].Name != "NPM_TOKEN" || e.Secretenv[0].Optional {
		t.Errorf("secret env = %v", e.Secretenv)
	}
	if got := ex[1].Meta.Args; !slices.Equal(got, []string{"echo", "exec", "form"}) {
		t.Errorf("exec form args = %q", got)
	}
	// The image keeps env, workdir and user; args are build-time only.
	c := g.target.Config.Config
	if !slices.Contains(c.Env, "LANG=C.UTF-8") || slices.ContainsFunc(c.Env, func(s string) bool { return strings.HasPrefix(s, "VERSION=") }) {
		t.Errorf("config env = %q", c.Env)
	}
	if c.WorkingDir != "/src" || c.User != "builder" {
		t.Errorf("config workdir, user = %q, %q", c.WorkingDir, c.User)
	}
	if src := g.sources()["docker-image://docker.io/library/debian:bookworm"]; src == nil || src.Platform.Architecture != "arm64" {
		t.Errorf("base image source missing or not arm64: %v", g.sources())
	}
}

func boolStr(optional bool) string {
	if optional {
		return "optional"
	}
	return "required"
}

// A secret's value is never part of the graph: only its id is.
func TestSecretValueNotInDefinition(t *testing.T) {
	const value = "s3cr3t-value-7f1c"
	s := load(t, `
images: app: {
	repository: "example.com/app"
	from:       "debian:bookworm"
	steps: [{run: "cat /run/secrets/token", secrets: [{id: "token"}]}]
}`, nil)
	t.Setenv("token", value)
	g := lower(t, s, "app", "linux/amd64", Options{})
	if bytes.Contains(g.raw, []byte(value)) {
		t.Fatal("the secret's value is in the definition")
	}
	if !bytes.Contains(g.raw, []byte("token")) {
		t.Fatal("the secret's id is not in the definition")
	}
}

func TestCopyFromContextAndStage(t *testing.T) {
	s := load(t, `
images: app: {
	repository: "example.com/app"
	from:       "scratch"
	context:    "src"
	stages: build: {from: "golang:1.23", steps: [{run: "go build -o /out/app"}]}
	workdir: "/app"
	steps: [
		{copy: ["go.mod", "./cmd/*.go"], dest: "."},
		{copy: "/out/app", from: "build", dest: "bin/app", chown: "1000:1000", chmod: "0755"},
	]
}`, map[string]string{"src/go.mod": "module x\n"})
	g := lower(t, s, "app", "linux/amd64", Options{})
	var locals []*pb.SourceOp
	for id, op := range g.sources() {
		if strings.HasPrefix(id, "local://") {
			locals = append(locals, op.GetSource())
		}
	}
	if len(locals) != 1 {
		t.Fatalf("got %d local sources, want 1", len(locals))
	}
	l := locals[0]
	if l.Identifier != "local://context:src" {
		t.Errorf("local name = %q", l.Identifier)
	}
	if got := l.Attrs[pb.AttrIncludePatterns]; got != `["cmd/*.go","go.mod"]` {
		t.Errorf("include patterns = %s", got)
	}
	if got := l.Attrs[pb.AttrLocalUniqueID]; got != "bricklayer:context:src" {
		t.Errorf("unique id = %q", got)
	}
	if dir := g.target.Locals["context:src"]; filepath.Base(dir) != "src" {
		t.Errorf("locals = %v", g.target.Locals)
	}
	files := g.files()
	if len(files) != 2 {
		t.Fatalf("got %d file ops, want 2", len(files))
	}
	first := files[0].Actions
	if len(first) != 2 || first[0].GetCopy().Src != "/go.mod" || first[0].GetCopy().Dest != "/app/" || first[1].GetCopy().Src != "/cmd/*.go" {
		t.Errorf("context copy actions = %v", first)
	}
	cp := files[1].Actions[0].GetCopy()
	if cp.Src != "/out/app" || cp.Dest != "/app/bin/app" || cp.Mode != 0o755 || cp.Owner.GetUser().GetByID() != 1000 {
		t.Errorf("stage copy = %v", cp)
	}
	if len(g.execs()) != 1 {
		t.Errorf("the build stage's run step is not in the graph")
	}
}

// A build-platform stage runs on the build platform with the target's
// TARGET* args, and is shared by every target until it declares them.
func TestBuildPlatformStage(t *testing.T) {
	s := load(t, `
platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7"]
stages: cross: {
	from:          "golang:1.23"
	buildPlatform: true
	steps: [
		{run: "go mod download"},
		{arg: {TARGETARCH: null, TARGETVARIANT: null, BUILDPLATFORM: null}},
		{run: "GOARCH=$TARGETARCH go build -o /out/app"},
	]
}
images: app: {
	repository: "example.com/app"
	from:       "scratch"
	steps: [{copy: "/out/app", from: "cross", dest: "/app"}]
}`, nil)
	arm := lower(t, s, "app", "linux/arm/v7", Options{})
	arm64 := lower(t, s, "app", "linux/arm64", Options{})
	src := arm.sources()["docker-image://docker.io/library/golang:1.23"]
	if src == nil || src.Platform.Architecture != "amd64" {
		t.Fatalf("build stage base not on the build platform: %v", src)
	}
	ex := arm.execs()
	if len(ex) != 2 {
		t.Fatalf("got %d execs", len(ex))
	}
	for _, d := range arm.order {
		if op := arm.ops[d]; op.GetExec() != nil && op.Platform.Architecture != "amd64" {
			t.Errorf("a run step of the build stage is on %v", op.Platform)
		}
	}
	for k, want := range map[string]string{"TARGETARCH": "arm", "TARGETVARIANT": "v7", "BUILDPLATFORM": "linux/amd64"} {
		if v, _ := env(ex[1], k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	if _, ok := env(ex[0], "TARGETARCH"); ok {
		t.Errorf("TARGETARCH is set before it is declared")
	}
	// The step before the declaration is the same op for both targets.
	if digestOf(arm, ex[0]) != digestOf(arm64, arm64.execs()[0]) {
		t.Errorf("the step before the arg declaration differs between targets")
	}
	if digestOf(arm, ex[1]) == digestOf(arm64, arm64.execs()[1]) {
		t.Errorf("the step after the arg declaration is the same for arm and arm64")
	}
	if s := arm.sources()["docker-image://docker.io/library/golang:1.23"]; s == nil {
		t.Fatal("no base")
	}
	if c := arm.target.Config; c.Architecture != "arm" || c.Variant != "v7" || c.OS != "linux" {
		t.Errorf("config platform = %s/%s/%s", c.OS, c.Architecture, c.Variant)
	}
}

func digestOf(g *graph, e *pb.ExecOp) digest.Digest {
	for _, d := range g.order {
		if g.ops[d].GetExec() == e {
			return d
		}
	}
	return ""
}

func TestPerPlatformOverride(t *testing.T) {
	s := load(t, `
platforms: ["linux/amd64", "linux/arm/v7"]
images: app: {
	repository: "example.com/app"
	from:       "debian:bookworm"
	args: {CLI_ARCH: *"amd64" | string, COMMON: "x"}
	steps: [{run: "install $CLI_ARCH"}, {run: "echo cue-\(args.CLI_ARCH)"}]
	labels: arch: *"x86" | string
	platform: "linux/arm": {
		args: CLI_ARCH: "arm"
		labels: arch: "arm"
		env: EXTRA: "1"
	}
}`, nil)
	amd := lower(t, s, "app", "linux/amd64", Options{})
	arm := lower(t, s, "app", "linux/arm/v7", Options{})
	if v, _ := env(amd.execs()[0], "CLI_ARCH"); v != "amd64" {
		t.Errorf("amd64 CLI_ARCH = %q", v)
	}
	if v, _ := env(arm.execs()[0], "CLI_ARCH"); v != "arm" {
		t.Errorf("arm CLI_ARCH = %q", v)
	}
	if v, _ := env(arm.execs()[0], "COMMON"); v != "x" {
		t.Errorf("arm COMMON = %q (override must unify, not replace)", v)
	}
	if v, ok := env(amd.execs()[0], "EXTRA"); ok {
		t.Errorf("amd64 sees the arm override's env: %q", v)
	}
	// A step that refers to an overridden value sees the override.
	if got := amd.execs()[1].Meta.Args[2]; got != "echo cue-amd64" {
		t.Errorf("amd64 step = %q", got)
	}
	if got := arm.execs()[1].Meta.Args[2]; got != "echo cue-arm" {
		t.Errorf("arm step = %q", got)
	}
	if amd.target.Config.Config.Labels["arch"] != "x86" || arm.target.Config.Config.Labels["arch"] != "arm" {
		t.Errorf("labels: amd64 %v, arm %v", amd.target.Config.Config.Labels, arm.target.Config.Config.Labels)
	}
}

// An image built from another image of the spec reuses its graph.
func TestCrossImageFrom(t *testing.T) {
	s := load(t, `
images: {
	base: {
		repository: "example.com/base"
		from:       "debian:bookworm"
		env: PATH: "/opt/bin:/usr/bin:/bin"
		steps: [{run: "apt-get install -y curl"}]
		entrypoint: ["/bin/base"]
		cmd: ["--help"]
	}
	app: {
		repository: "example.com/app"
		from:       "base"
		steps: [{run: "curl --version"}]
		entrypoint: ["/bin/app"]
	}
}`, nil)
	base := lower(t, s, "base", "linux/amd64", Options{})
	app := lower(t, s, "app", "linux/amd64", Options{})
	baseRun := digestOf(base, base.execs()[0])
	found := false
	for _, d := range app.order {
		if d == baseRun {
			found = true
		}
	}
	if !found {
		t.Error("app's graph does not contain base's run step")
	}
	if v, _ := env(app.execs()[1], "PATH"); v != "/opt/bin:/usr/bin:/bin" {
		t.Errorf("app's run step PATH = %q", v)
	}
	c := app.target.Config.Config
	if !slices.Equal(c.Entrypoint, []string{"/bin/app"}) || c.Cmd != nil {
		t.Errorf("entrypoint %q cmd %q: a new entrypoint drops the base's cmd", c.Entrypoint, c.Cmd)
	}
}

func TestDockerfileImage(t *testing.T) {
	s := load(t, `
platforms: ["linux/amd64", "linux/arm64"]
images: web: {
	repository: "example.com/web"
	dockerfile: "Dockerfile"
	target:     "final"
	args: GREETING: "hello"
	labels: team: "web"
}`, map[string]string{
		"Dockerfile": `FROM --platform=$BUILDPLATFORM golang:1.23 AS build
ARG TARGETARCH
RUN echo building for $TARGETARCH
RUN <<EOF
echo heredoc
EOF

FROM alpine:3.20 AS final
ARG GREETING
COPY --from=build /etc/hostname /hostname
RUN echo $GREETING
ENV MODE=prod
CMD ["/bin/sh"]

FROM final AS unused
RUN exit 1
`,
		".dockerignore": "node_modules\n*.log\n",
	})
	g := lower(t, s, "web", "linux/arm64", Options{})
	srcs := g.sources()
	if op := srcs["docker-image://docker.io/library/golang:1.23"]; op == nil || op.Platform.Architecture != "amd64" {
		t.Errorf("build stage base not on the build platform: %v", op)
	}
	if op := srcs["docker-image://docker.io/library/alpine:3.20"]; op == nil || op.Platform.Architecture != "arm64" {
		t.Errorf("final stage base not on the target platform: %v", op)
	}
	var args []string
	for _, e := range g.execs() {
		args = append(args, strings.Join(e.Meta.Args, " "))
		if strings.Contains(strings.Join(e.Meta.Args, " "), "building for") {
			if v, _ := env(e, "TARGETARCH"); v != "arm64" {
				t.Errorf("TARGETARCH = %q", v)
			}
		}
		if strings.Contains(strings.Join(e.Meta.Args, " "), "GREETING") {
			if v, _ := env(e, "GREETING"); v != "hello" {
				t.Errorf("GREETING = %q", v)
			}
		}
	}
	if len(args) != 3 {
		t.Errorf("runs = %q, want 3 (the unused stage is not built)", args)
	}
	c := g.target.Config
	if c.Config.Labels["team"] != "web" || !slices.Contains(c.Config.Env, "MODE=prod") || c.Architecture != "arm64" {
		t.Errorf("config = %+v", c.Config)
	}
	for id, op := range srcs {
		if strings.HasPrefix(id, "local://") {
			if got := op.GetSource().Attrs[pb.AttrExcludePatterns]; got != `["node_modules","*.log"]` {
				t.Errorf("dockerignore patterns = %s", got)
			}
		}
	}
}

// Lowering the same spec twice in one process, through fresh loads, gives
// the same bytes; the plan script checks across processes.
func TestSameBytes(t *testing.T) {
	src := `
platforms: ["linux/amd64", "linux/arm64"]
images: app: {
	repository: "example.com/app"
	from:       "debian:bookworm"
	args: {A: "1", B: "2", C: "3", D: "4"}
	env: {E: "1", F: "2", G: "3", H: "4"}
	labels: {x: "1", y: "2", z: "3"}
	steps: [{copy: ["b", "a", "c"], dest: "/"}, {run: "true"}]
}`
	a := lower(t, load(t, src, nil), "app", "linux/arm64", Options{})
	for i := 0; i < 20; i++ {
		b := lower(t, load(t, src, nil), "app", "linux/arm64", Options{})
		if !bytes.Equal(a.raw, b.raw) {
			t.Fatalf("run %d: definitions differ", i)
		}
	}
}

// Changing one image changes only its own digests.
func TestChangeIsLocal(t *testing.T) {
	src := `
images: {
	a: {repository: "example.com/a", from: "debian:bookworm", steps: [{run: "echo %s"}]}
	b: {repository: "example.com/b", from: "debian:bookworm", steps: [{run: "echo b"}]}
}`
	s1 := load(t, strings.Replace(src, "%s", "one", 1), nil)
	s2 := load(t, strings.Replace(src, "%s", "two", 1), nil)
	if lower(t, s1, "a", "linux/amd64", Options{}).root == lower(t, s2, "a", "linux/amd64", Options{}).root {
		t.Error("changing a's step did not change a's digest")
	}
	if lower(t, s1, "b", "linux/amd64", Options{}).root != lower(t, s2, "b", "linux/amd64", Options{}).root {
		t.Error("changing a's step changed b's digest")
	}
}

// Every copy from one context in an image's graph reads one local source
// filtered to all of the image's sources: the session sends the context
// once. Another image has its own filter.
func TestOneContextPerImage(t *testing.T) {
	s := load(t, `
stages: deps: {from: "golang:1.23", steps: [{copy: ["go.mod", "go.sum"], dest: "/src/"}, {run: "go mod download"}]}
images: {
	app: {
		repository: "example.com/app"
		from:       "deps"
		steps: [{copy: "cmd/app", dest: "/src/cmd/app"}, {run: "go build ./cmd/app"}]
	}
	tool: {
		repository: "example.com/tool"
		from:       "deps"
		steps: [{copy: "cmd/tool", dest: "/src/cmd/tool"}]
	}
}`, nil)
	app := lower(t, s, "app", "linux/amd64", Options{})
	tool := lower(t, s, "tool", "linux/amd64", Options{})
	locals := func(g *graph) []string {
		var out []string
		for id, op := range g.sources() {
			if strings.HasPrefix(id, "local://") {
				out = append(out, op.GetSource().Attrs[pb.AttrIncludePatterns])
			}
		}
		return out
	}
	if got := locals(app); !slices.Equal(got, []string{`["cmd/app","go.mod","go.sum"]`}) {
		t.Errorf("app's locals = %q, want one with every source of its graph", got)
	}
	if got := locals(tool); !slices.Equal(got, []string{`["cmd/tool","go.mod","go.sum"]`}) {
		t.Errorf("tool's locals = %q", got)
	}
}

// env, workdir and user steps change the steps after them and the image.
func TestEnvWorkdirUserSteps(t *testing.T) {
	s := load(t, `
images: app: {
	repository: "example.com/app"
	from:       "debian:bookworm"
	steps: [
		{run: "first"},
		{env: {A: "1", B: "2"}},
		{workdir: "/app"},
		{workdir: "sub"},
		{user: "app:app"},
		{env: {A: "3"}},
		{run: "second"},
	]
}`, nil)
	g := lower(t, s, "app", "linux/amd64", Options{})
	ex := g.execs()
	if _, ok := env(ex[0], "A"); ok || ex[0].Meta.Cwd != "/" || ex[0].Meta.User != "" {
		t.Errorf("first step sees later steps: env %q cwd %q user %q", ex[0].Meta.Env, ex[0].Meta.Cwd, ex[0].Meta.User)
	}
	a, _ := env(ex[1], "A")
	b, _ := env(ex[1], "B")
	if a != "3" || b != "2" || ex[1].Meta.Cwd != "/app/sub" || ex[1].Meta.User != "app:app" {
		t.Errorf("second step: A=%q B=%q cwd %q user %q", a, b, ex[1].Meta.Cwd, ex[1].Meta.User)
	}
	c := g.target.Config
	if !slices.Equal(c.Config.Env, []string{"A=3", "B=2"}) || c.Config.WorkingDir != "/app/sub" || c.Config.User != "app:app" {
		t.Errorf("config env %q workdir %q user %q", c.Config.Env, c.Config.WorkingDir, c.Config.User)
	}
	var history []string
	for _, h := range c.History {
		history = append(history, h.CreatedBy)
	}
	if len(history) != 7 || history[1] != "bricklayer: ENV A=1 B=2" || !c.History[1].EmptyLayer || c.History[6].EmptyLayer {
		t.Errorf("history = %q", history)
	}
}

// TestEntitlements: a target says which entitlements its graph needs,
// per platform, overrides and stages included.
func TestEntitlements(t *testing.T) {
	s := load(t, `
platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7"]
stages: fetch: {from: "scratch", steps: [{run: "true", network: "host"}]}
images: {
	app: {
		repository: "example.com/app"
		from:       "scratch"
		steps: [{run: "true"}]
		platform: "linux/arm64": steps: [{run: "true", network: "host"}]
	}
	tool: {
		repository: "example.com/tool"
		from:       "scratch"
		steps: [{copy: "/x", from: "fetch", dest: "/x"}]
	}
}`, nil)
	for _, tc := range []struct {
		image, platform string
		want            []string
	}{
		{"app", "linux/amd64", nil},
		{"app", "linux/arm64", []string{EntitlementHostNetwork}},
		{"app", "linux/arm/v7", nil},
		{"tool", "linux/arm/v7", []string{EntitlementHostNetwork}},
	} {
		g := lower(t, s, tc.image, tc.platform, Options{})
		if !slices.Equal(g.target.Entitlements, tc.want) {
			t.Errorf("%s %s: entitlements %q, want %q", tc.image, tc.platform, g.target.Entitlements, tc.want)
		}
	}
}

// TestLowerConcurrent: one Lowerer lowers many targets at once with the
// same results as one at a time (run with -race).
func TestLowerConcurrent(t *testing.T) {
	s := load(t, `
platforms: ["linux/amd64", "linux/arm64"]
stages: base: {from: "debian:bookworm", steps: [{run: "apt-get update"}]}
images: {
	a: {repository: "example.com/a", from: "base", steps: [{copy: "a.txt", dest: "/"}]}
	b: {repository: "example.com/b", from: "base", steps: [{copy: "b.txt", dest: "/"}]}
}`, map[string]string{"a.txt": "a", "b.txt": "b"})
	ctx := context.Background()
	l := New(s, Options{})
	want := map[string]digest.Digest{}
	for _, im := range s.ImageNames {
		for _, p := range s.Images[im].Platforms {
			want[im+" "+p.String()] = lower(t, s, im, p.String(), Options{}).root
		}
	}
	errs := make(chan error, 40)
	for range 10 {
		for _, im := range s.ImageNames {
			for _, p := range s.Images[im].Platforms {
				go func() {
					tg, err := l.Lower(ctx, im, p)
					if err == nil {
						var def *llb.Definition
						if def, err = tg.Marshal(ctx); err == nil && Digest(def) != want[im+" "+p.String()] {
							err = fmt.Errorf("%s %s: digest %s, want %s", im, p, Digest(def), want[im+" "+p.String()])
						}
					}
					errs <- err
				}()
			}
		}
	}
	for range 40 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestOfflineLocals: a plan's local source depends on neither the
// checkout nor the machine (solve binds it to its session and checkout).
func TestOfflineLocals(t *testing.T) {
	src := `images: app: {repository: "example.com/app", from: "scratch", steps: [{copy: "f", dest: "/f"}]}`
	a := load(t, src, map[string]string{"f": "a"})
	b := load(t, src, map[string]string{"f": "b"})
	if pa, pb := lower(t, a, "app", "linux/amd64", Options{}).root, lower(t, b, "app", "linux/amd64", Options{}).root; pa != pb {
		t.Errorf("offline digests depend on the checkout: %s, %s", pa, pb)
	}
	g := lower(t, a, "app", "linux/amd64", Options{})
	for _, d := range g.order {
		if src := g.ops[d].GetSource(); src != nil && strings.HasPrefix(src.Identifier, "local://") {
			if src.Attrs[pb.AttrLocalSessionID] != "" || src.Attrs[pb.AttrLocalUniqueID] != "bricklayer:context" {
				t.Errorf("offline local source = %v", src.Attrs)
			}
			return
		}
	}
	t.Fatal("no local source")
}

// TestCacheScope: specs publishing other repositories get other cache
// scopes; the same repositories, in any order, the same.
func TestCacheScope(t *testing.T) {
	one := load(t, `images: {a: {repository: "example.com/a", from: "scratch"}, b: {repository: "example.com/b", from: "scratch"}}`, nil)
	same := load(t, `images: {y: {repository: "example.com/b", from: "scratch"}, z: {repository: "example.com/a", from: "scratch"}}`, nil)
	other := load(t, `images: {a: {repository: "example.com/other", from: "scratch"}}`, nil)
	if CacheScope(one) != CacheScope(same) {
		t.Errorf("same repositories, scopes %s and %s", CacheScope(one), CacheScope(same))
	}
	if CacheScope(one) == CacheScope(other) {
		t.Errorf("other repositories share scope %s", CacheScope(one))
	}
}

// TestDockerfileStepNames: a Dockerfile image's steps are named like
// native ones, [IMAGE PLATFORM ...], so progress tells them apart.
func TestDockerfileStepNames(t *testing.T) {
	s := load(t, `images: app: {repository: "example.com/app", platforms: ["linux/arm64"], dockerfile: "Dockerfile"}`,
		map[string]string{"Dockerfile": "FROM alpine:3.20 AS build\nRUN echo hi > /x\nFROM scratch\nCOPY --from=build /x /x\n"})
	ctx := context.Background()
	p, _ := platform.Parse("linux/arm64")
	tg, err := New(s, Options{}).Lower(ctx, "app", p)
	if err != nil {
		t.Fatal(err)
	}
	def, err := tg.Marshal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, md := range def.Metadata {
		if n := md.Description["llb.customname"]; n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	want := []string{"[app linux/arm64 build 1/2] FROM docker.io/library/alpine:3.20", "[app linux/arm64 build 2/2] RUN echo hi > /x", "[app linux/arm64 stage-1 1/1] COPY --from=build /x /x"}
	for _, w := range want {
		if !slices.Contains(names, w) {
			t.Errorf("no step named %q in %q", w, names)
		}
	}
}
