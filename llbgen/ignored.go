package llbgen

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/patternmatcher"

	"github.com/bricklayer-build/bricklayer/spec"
)

// checkIgnored runs BuildKit's CopyIgnoredFile rule over the Dockerfile
// of im, as converted with opt, reporting through warn. The converter
// runs that rule only when it reads .dockerignore itself, through a
// frontend client; bricklayer hands it a context with the patterns
// already applied, so the rule is checked here, as documented: a COPY or
// ADD whose source from the build context the patterns exclude. Every
// stage is checked with allStages, else the stages a build of the image
// converts.
//
// Like BuildKit, it reads no file of the context: a source is matched as
// written, wildcards and all, against the patterns (COPY *.pem with
// "*.pem" ignored is a finding, COPY *.txt with "secret.txt" is not),
// and is a finding when it or a directory above it is excluded; a
// directory whose content is partly excluded is not. A source whose
// variables this cannot tell offline (see envMap) is left out.
func (l *lowering) checkIgnored(im *spec.Image, opt *dockerfile2llb.ConvertOpt, warn linter.LintWarnFunc) {
	// Parsed once per image: its platforms are lowered side by side.
	once, _ := l.ignored.LoadOrStore(im, sync.OnceValue(func() *ignoredDockerfile { return parseIgnored(im) }))
	if d := once.(func() *ignoredDockerfile)(); d != nil {
		d.check(opt, l.allStages(im), warn)
	}
}

// ignoredDockerfile is what the check needs of an image's Dockerfile and
// .dockerignore, whatever the platform. It is only read once made.
type ignoredDockerfile struct {
	// mu guards m, which compiles its patterns on first use and is not
	// safe for concurrent use.
	mu   sync.Mutex
	m    *patternmatcher.PatternMatcher
	root bool // the patterns leave nothing of the context's top
	lint linter.Config
	// df is the Dockerfile as the spec parsed it, shared with other
	// images: read only.
	df *spec.ParsedDockerfile
}

// parseIgnored prepares the check of im, or returns nil when there is
// nothing to check. The Dockerfile is the spec's parse of it; only the
// patterns are compiled here.
func parseIgnored(im *spec.Image) *ignoredDockerfile {
	df := im.ParsedDockerfile
	// A Dockerfile or # check= directive that does not parse: the
	// converter has reported it.
	if len(im.DockerIgnore) == 0 || df == nil || df.Err() != nil || df.Check == nil {
		return nil
	}
	m, err := patternmatcher.New(im.DockerIgnore)
	// An exception (!pattern) may let a file of an excluded directory
	// back in: without the context's files no source can be said to be
	// excluded, and BuildKit does not check then either.
	if err != nil || m.Exclusions() {
		return nil
	}
	return &ignoredDockerfile{m: m, root: rootIgnored(m), lint: *df.Check, df: df}
}

// check reports, through warn, the sources the patterns exclude in the
// stages the checks of a conversion with opt cover.
func (d *ignoredDockerfile) check(opt *dockerfile2llb.ConvertOpt, allStages bool, warn linter.LintWarnFunc) {
	cfg := d.lint
	cfg.Warn = warn
	lex := shell.NewLex(d.df.Escape)
	global := globalArgs(opt, d.df.MetaArgs, lex)
	var built []bool
	if !allStages {
		built = builtStages(d.df.Stages, opt.Target, global, lex)
	}
	c := ignoreCheck{d: d, lex: lex, lint: linter.New(&cfg)}
	for i, st := range d.df.Stages {
		if built != nil && !built[i] {
			continue
		}
		env := envMap{}
		for _, cmd := range st.Commands {
			switch cmd := cmd.(type) {
			case *instructions.ArgCommand:
				env.declareArgs(cmd.Args, opt.BuildArgs, global, lex)
			case *instructions.EnvCommand:
				for _, kv := range cmd.Env {
					env.set(kv.Key, kv.Value, lex)
				}
			case *instructions.CopyCommand:
				if cmd.From == "" { // --from copies from a stage or image, not the context
					c.sources(cmd, "Copy", cmd.SourcePaths, env)
				}
			case *instructions.AddCommand:
				c.sources(cmd, "Add", cmd.SourcePaths, env)
			}
		}
	}
}

type ignoreCheck struct {
	d    *ignoredDockerfile
	lex  *shell.Lex
	lint *linter.Linter
}

// excluded tells whether the patterns exclude p or a directory above it.
func (d *ignoredDockerfile) excluded(p string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	ok, err := d.m.MatchesOrParentMatches(p)
	return err == nil && ok
}

// sources reports each of the sources of a COPY or ADD (verb, as the
// rule's message names it) that the patterns exclude, at the instruction.
func (c ignoreCheck) sources(cmd instructions.Command, verb string, srcs []string, env envMap) {
	// A # check= comment right above the instruction applies to it.
	lint := c.lint.WithMergedConfigFromComments(cmd.Comments())
	for _, src := range srcs {
		r, err := c.lex.ProcessWordWithMatches(src, env)
		if err != nil || len(r.Unmatched) > 0 || remote(r.Result) {
			continue
		}
		p := path.Clean(r.Result)
		// The context itself is never excluded; copying it is only
		// pointless when the patterns take every entry of its top.
		if (p == "." || p == "/") && !c.d.root {
			continue
		}
		if c.d.excluded(p) {
			// Run, not warn: it honours # check=skip=CopyIgnoredFile.
			lint.Run(&linter.RuleCopyIgnoredFile, cmd.Location(), linter.RuleCopyIgnoredFile.Format(verb, p))
		}
	}
}

// remote tells whether an ADD source is a URL or a Git repository, which
// do not come from the context (COPY fails on them in the converter).
func remote(src string) bool {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		return true
	}
	ref, isGit, err := dfgitutil.ParseGitRef(src)
	return isGit || (err == nil && !ref.IndistinguishableFromLocal)
}

// rootIgnored tells whether a pattern excludes everything at the top of
// the context, the patterns for which BuildKit reports COPY . as well.
func rootIgnored(m *patternmatcher.PatternMatcher) bool {
	return slices.ContainsFunc(m.Patterns(), func(p *patternmatcher.Pattern) bool {
		return !p.Exclusion() && slices.Contains([]string{"*", "**", "**/*"}, p.String())
	})
}

// envMap holds the variables whose values are known offline. It is a
// shell.EnvGetter: a variable it lacks is unmatched, and the source that
// uses it is left out.
type envMap map[string]string

func (e envMap) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }

func (e envMap) Keys() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	return keys
}

// set gives k the value v expanded, or forgets k when v uses variables
// that are not known.
func (e envMap) set(k, v string, lex *shell.Lex) {
	r, err := lex.ProcessWordWithMatches(v, e)
	if err != nil || len(r.Unmatched) > 0 {
		delete(e, k)
		return
	}
	e[k] = r.Result
}

// declareArgs adds the ARGs of a stage: a build arg's value, else the
// default, else the global arg's (the platform args among them). An ARG
// with none of them is unknown: a base image's ENV may set it.
func (e envMap) declareArgs(args []instructions.KeyValuePairOptional, buildArgs map[string]string, global envMap, lex *shell.Lex) {
	for _, kv := range args {
		if v, ok := buildArgs[kv.Key]; ok {
			e[kv.Key] = v
		} else if kv.Value != nil {
			e.set(kv.Key, *kv.Value, lex)
		} else if v, ok := global[kv.Key]; ok {
			e[kv.Key] = v
		} else {
			delete(e, kv.Key)
		}
	}
}

// globalArgs are the args before the first FROM, with the platform args
// that Dockerfiles see without declaring them.
func globalArgs(opt *dockerfile2llb.ConvertOpt, metaArgs []instructions.ArgCommand, lex *shell.Lex) envMap {
	env := envMap{}
	if opt.TargetPlatform != nil {
		t := *opt.TargetPlatform
		env["TARGETPLATFORM"], env["TARGETOS"], env["TARGETARCH"], env["TARGETVARIANT"] = platforms.Format(t), t.OS, t.Architecture, t.Variant
	}
	if len(opt.BuildPlatforms) > 0 {
		b := opt.BuildPlatforms[0]
		env["BUILDPLATFORM"], env["BUILDOS"], env["BUILDARCH"], env["BUILDVARIANT"] = platforms.Format(b), b.OS, b.Architecture, b.Variant
	}
	for k := range env {
		if v, ok := opt.BuildArgs[k]; ok {
			env[k] = v
		}
	}
	for _, a := range metaArgs {
		env.declareArgs(a.Args, opt.BuildArgs, env, lex)
	}
	return env
}

// builtStages marks the stages a build of target (the last stage when
// empty) converts: the target and the stages it uses through FROM, COPY
// --from and RUN --mount=from. A FROM naming a stage through args is
// expanded with the global ones.
func builtStages(stages []instructions.Stage, target string, global envMap, lex *shell.Lex) []bool {
	byName := map[string]int{}
	for i, st := range stages {
		if st.Name != "" {
			byName[strings.ToLower(st.Name)] = i
		}
	}
	built := make([]bool, len(stages))
	var visit func(i int)
	use := func(name string) {
		if i, ok := byName[strings.ToLower(name)]; ok {
			visit(i)
		}
	}
	visit = func(i int) {
		if built[i] {
			return
		}
		built[i] = true
		st := stages[i]
		base := st.BaseName
		if r, err := lex.ProcessWordWithMatches(base, global); err == nil {
			base = r.Result
		}
		use(base)
		for _, cmd := range st.Commands {
			switch cmd := cmd.(type) {
			case *instructions.CopyCommand:
				if n, err := strconv.Atoi(cmd.From); err == nil && n >= 0 && n < len(stages) {
					visit(n)
				} else if cmd.From != "" {
					use(cmd.From)
				}
			case *instructions.RunCommand:
				for _, m := range instructions.GetMounts(cmd) {
					use(m.From)
				}
			}
		}
	}
	i, ok := len(stages)-1, true
	if target != "" {
		i, ok = byName[strings.ToLower(target)]
	}
	if ok {
		visit(i)
	}
	return built
}
