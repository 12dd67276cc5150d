package llbgen

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"cuelang.org/go/cue/token"
	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/spec"
)

// stage lowers a stage (or an image's own steps) for target.
func (l *lowering) stage(ctx context.Context, scope *spec.Image, st *spec.Stage, target ocispecs.Platform) (*result, error) {
	key := "stage " + st.Path() + " " + platforms.Format(target)
	if r, ok := l.memo[key]; ok {
		return r, nil
	}
	exec := target
	if st.BuildPlatform {
		exec = l.build
	}
	base, err := l.named(ctx, scope, st.From, exec, target)
	if err != nil {
		if errkind.Of(err) == errkind.Check {
			// The spec's to mend (a lock without the base): at its from.
			return nil, st.FromError(err)
		}
		return nil, fmt.Errorf("%s: %w", st.Path(), err)
	}
	b := &builder{
		l:      l,
		scope:  scope,
		stage:  st,
		exec:   exec,
		target: target,
		r:      &result{state: base.state, config: cloneConfig(base.config)},
		args:   map[string]string{},
	}
	b.r.merge(base)
	b.name = st.Name + " " + platforms.Format(target)
	for _, k := range spec.SortedKeys(st.Env) {
		b.setEnv(k, st.Env[k])
	}
	if st.Workdir != "" {
		b.workdir(st.Workdir)
	}
	if st.User != "" {
		b.user(st.User)
	}
	// A stage's args are declared from its first step on.
	for _, k := range spec.SortedKeys(st.Args) {
		v := st.Args[k]
		b.declare(k, &v)
	}
	for i := range st.Steps {
		if err := b.step(ctx, &st.Steps[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", st.Steps[i].Path(), err)
		}
	}
	l.memo[key] = b.r
	return b.r, nil
}

// builder carries the state of one stage while its steps are lowered.
type builder struct {
	l      *lowering
	scope  *spec.Image
	stage  *spec.Stage
	exec   ocispecs.Platform // where the steps run
	target ocispecs.Platform // what is being built
	name   string            // progress name prefix
	r      *result
	// args are the declared build args with a value, seen by run steps.
	args map[string]string
}

func (b *builder) step(ctx context.Context, s *spec.Step) error {
	switch s.Kind {
	case spec.StepRun:
		b.run(s)
	case spec.StepCopy:
		return b.copy(ctx, s)
	case spec.StepEnv:
		for _, k := range spec.SortedKeys(s.Env) {
			b.setEnv(k, s.Env[k])
		}
		b.history("ENV "+joinMap(s.Env), true)
	case spec.StepWorkdir:
		b.workdir(s.Workdir)
		b.history("WORKDIR "+s.Workdir, true)
	case spec.StepUser:
		b.user(s.User)
		b.history("USER "+s.User, true)
	case spec.StepArg:
		for _, k := range spec.SortedKeys(s.Args) {
			b.declare(k, s.Args[k])
		}
	}
	return nil
}

func (b *builder) setEnv(k, v string) {
	b.r.state = b.r.state.AddEnv(k, v)
	b.r.config.Config.Env = setEnv(b.r.config.Config.Env, k, v)
}

func (b *builder) workdir(dir string) {
	if !path.IsAbs(dir) {
		dir = path.Join("/", b.r.config.Config.WorkingDir, dir)
	}
	b.r.state = b.r.state.Dir(dir)
	b.r.config.Config.WorkingDir = dir
}

func (b *builder) user(u string) {
	b.r.state = b.r.state.User(u)
	b.r.config.Config.User = u
}

// declare makes a build arg visible to the following run steps. Its value
// is, in order: the command line's, the platform's (TARGETARCH, ...), the
// default.
func (b *builder) declare(name string, def *string) {
	if v, ok := b.l.opts.Args[name]; ok {
		b.args[name] = v
		return
	}
	if name == "SOURCE_DATE_EPOCH" && b.l.opts.Epoch != nil {
		b.args[name] = strconv.FormatInt(b.l.opts.Epoch.Unix(), 10)
		return
	}
	if v, ok := platformArgs(b.l.build, b.target)[name]; ok {
		b.args[name] = v
		return
	}
	if def != nil {
		b.args[name] = *def
	}
}

// platformArgs are the args BuildKit's Dockerfile frontend provides.
func platformArgs(build, target ocispecs.Platform) map[string]string {
	return map[string]string{
		"TARGETPLATFORM": platforms.Format(target),
		"TARGETOS":       target.OS,
		"TARGETARCH":     target.Architecture,
		"TARGETVARIANT":  target.Variant,
		"BUILDPLATFORM":  platforms.Format(build),
		"BUILDOS":        build.OS,
		"BUILDARCH":      build.Architecture,
		"BUILDVARIANT":   build.Variant,
	}
}

func (b *builder) run(s *spec.Step) {
	argv := s.Run
	display := strings.Join(s.Run, " ")
	if s.Shell {
		argv = []string{"/bin/sh", "-c", s.Run[0]}
		display = s.Run[0]
	}
	opts := []llb.RunOption{
		llb.Args(argv),
		llb.WithCustomName(fmt.Sprintf("[%s] RUN %s", b.name, display)),
	}
	for _, o := range b.l.location(s.Pos) {
		opts = append(opts, o)
	}
	for _, k := range spec.SortedKeys(b.args) {
		opts = append(opts, llb.AddEnv(k, b.args[k]))
	}
	for _, c := range s.Cache {
		id := c.ID
		if id == "" {
			// Scoped to the spec: on a shared daemon another repository's
			// /root/.cache/pip is not this one's.
			id = b.l.cacheScope + ":" + c.Target
		}
		opts = append(opts, llb.AddMount(c.Target, llb.Scratch(), llb.AsPersistentCacheDir(id, sharing(c.Sharing))))
	}
	for _, sec := range s.Secrets {
		so := []llb.SecretOption{llb.SecretID(sec.ID)}
		if !sec.Required {
			so = append(so, llb.SecretOptional)
		}
		if sec.Env != "" {
			opts = append(opts, llb.AddSecretWithDest(sec.ID, nil, append(so, llb.SecretAsEnvName(sec.Env))...))
		} else {
			opts = append(opts, llb.AddSecret(sec.Target, so...))
		}
	}
	switch s.Network {
	case "none":
		opts = append(opts, llb.Network(pb.NetMode_NONE))
	case "host":
		opts = append(opts, llb.Network(pb.NetMode_HOST))
		b.l.hostNet = true
	}
	b.r.state = b.r.state.Run(opts...).Root()
	b.history("RUN "+display, false)
}

func sharing(s string) llb.CacheMountSharingMode {
	switch s {
	case "private":
		return llb.CacheMountPrivate
	case "locked":
		return llb.CacheMountLocked
	}
	return llb.CacheMountShared
}

// copy lowers a copy step to one FileOp that chains a copy per source.
func (b *builder) copy(ctx context.Context, s *spec.Step) error {
	var src llb.State
	fromContext := s.From == ""
	if fromContext {
		src = b.context()
	} else {
		from, err := b.l.named(ctx, b.scope, s.From, b.exec, b.target)
		if err != nil {
			if errkind.Of(err) == errkind.Check {
				return s.FromError(err)
			}
			return err
		}
		b.r.merge(from)
		src = from.state
	}
	dest := s.Dest
	if !path.IsAbs(dest) {
		dest = path.Join("/", b.r.config.Config.WorkingDir, dest)
		if strings.HasSuffix(s.Dest, "/") || s.Dest == "." {
			dest += "/"
		}
	}
	if len(s.Copy) > 1 && !strings.HasSuffix(dest, "/") {
		dest += "/"
	}
	info := &llb.CopyInfo{
		FollowSymlinks:      true,
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		AllowWildcard:       true,
		AllowEmptyWildcard:  false,
	}
	if s.Chown != "" {
		llb.WithUser(s.Chown).SetCopyOption(info)
	}
	if s.Chmod != "" {
		mode, err := strconv.ParseUint(s.Chmod, 8, 32)
		if err != nil {
			return fmt.Errorf("chmod %q: %w", s.Chmod, err)
		}
		info.Mode = &llb.ChmodOpt{Mode: fileMode(mode)}
	}
	var fa *llb.FileAction
	for _, p := range s.Copy {
		srcPath := p
		if fromContext || !path.IsAbs(srcPath) {
			srcPath = path.Join("/", srcPath)
		}
		if fa == nil {
			fa = llb.Copy(src, srcPath, dest, info)
		} else {
			fa = fa.Copy(src, srcPath, dest, info)
		}
	}
	what := strings.Join(s.Copy, " ")
	if !fromContext {
		what = "--from=" + s.From + " " + what
	}
	co := append([]llb.ConstraintsOpt{llb.WithCustomName(fmt.Sprintf("[%s] COPY %s %s", b.name, what, s.Dest))}, b.l.location(s.Pos)...)
	b.r.state = b.r.state.File(fa, co...)
	b.history("COPY "+what+" "+s.Dest, false)
	return nil
}

// context is the build context of the stage, filtered to what the copy
// steps of the image being lowered take from it.
func (b *builder) context() llb.State {
	dir := b.l.contextDir(b.scope, b.stage)
	st, name := b.l.local(dir, b.l.inc.of(dir), nil)
	b.r.addLocal(name, dir)
	return st
}

// local is a local source for the directory dir. Its name and unique ID
// derive from dir's place relative to the spec, so they are the same on
// every machine.
func (l *Lowerer) local(dir string, include, exclude []string) (llb.State, string) {
	name := "context"
	if rel, err := filepath.Rel(l.spec.Dir, dir); err == nil && rel != "." {
		name = "context:" + filepath.ToSlash(rel)
	}
	// Machine-independent: solve binds it to its session and checkout.
	opts := []llb.LocalOption{
		llb.LocalUniqueID("bricklayer:" + name),
		llb.SharedKeyHint(name),
		llb.WithCustomName("[context] " + name),
	}
	if len(include) > 0 {
		opts = append(opts, llb.IncludePatterns(sortedUnique(include)))
	}
	if len(exclude) > 0 {
		opts = append(opts, llb.ExcludePatterns(exclude))
	}
	return llb.Local(name, opts...), name
}

// location points an op back at the step of the spec it comes from, so a
// failing step on the daemon can be reported as bricklayer.cue:LINE.
func (l *Lowerer) location(p token.Pos) []llb.ConstraintsOpt {
	if !p.IsValid() {
		return nil
	}
	r := &pb.Range{
		Start: &pb.Position{Line: int32(p.Line()), Character: int32(p.Column())},
		End:   &pb.Position{Line: int32(p.Line()), Character: int32(p.Column())},
	}
	return []llb.ConstraintsOpt{l.sourceMap.Location([]*pb.Range{r})}
}

func (b *builder) history(createdBy string, empty bool) {
	b.r.config.History = append(b.r.config.History, ocispecs.History{
		CreatedBy:  "bricklayer: " + createdBy,
		Comment:    "bricklayer",
		EmptyLayer: empty,
	})
}
