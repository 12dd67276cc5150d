package spec

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/distribution/reference"

	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/ref"
)

// decoder turns the raw decoded spec into Spec values, checking on the
// way what concerns one value at a time. Locations of errors are paths;
// errorList finds their positions in the user's file.
type decoder struct {
	errs  *errorList
	dir   string          // the spec's directory
	build *buildinfo.Info // the build context tags are computed for
	// root is the directory Dockerfiles must lie in, and rootName says
	// what it is; see repoRoot.
	root, rootName string
	// annotations are the top-level ones, checked.
	annotations map[string]string
	// checks are the top-level Dockerfile check settings.
	checks Checks
	// dockerfiles and ignores are the Dockerfiles (by path) and the
	// .dockerignore files (by context) read so far: each once per load.
	dockerfiles map[string]*dockerfileFile
	ignores     map[string]ignoreFile
	// parsed, when set, is told of every Dockerfile parsed (tests).
	parsed func(path string)
}

// at is the location of a path in the spec.
func at(path ...string) loc { return loc{path: path} }

func (d *decoder) spec(r rawSpec, file string) *Spec {
	s := &Spec{
		File:   file,
		Dir:    d.dir,
		Stages: map[string]*Stage{},
		Images: map[string]*Image{},
	}
	defaults := d.platforms(r.Platforms, at("platforms"))
	s.Epoch = d.epoch(r.Epoch)
	if r.Cache != nil {
		s.CacheTo = d.caches(r.Cache.To, at("cache", "to"))
		s.CacheFrom = d.caches(r.Cache.From, at("cache", "from"))
	}
	top := tagRules{policy: r.Policy, policyLoc: at("policy"), aliasesLoc: at("aliases")}
	d.annotations = d.checkAnnotations(r.Annotations, at("annotations"))
	d.checks = d.readChecks(r.Checks, Checks{}, at("checks"))
	if r.Aliases != nil {
		top.aliases = *r.Aliases
	}
	for _, name := range SortedKeys(r.Stages) {
		st := &Stage{}
		d.stage(st, name, r.Stages[name], at("stages", name))
		s.Stages[name] = st
	}
	for _, name := range SortedKeys(r.Images) {
		var ri rawImage
		if json.Unmarshal(r.Images[name], &ri) != nil {
			continue // a type error the schema check reports
		}
		im := d.image(name, ri, defaults, top)
		if ri.Platform != nil {
			im.raw = &ri
		}
		s.Images[name] = im
	}
	s.ImageNames = SortedKeys(s.Images)
	return s
}

// platforms reads a list of platform strings, normalized so that
// linux/arm64/v8 and linux/arm64 are one platform and linux/arm is v7.
func (d *decoder) platforms(list *[]string, where loc) []platform.Platform {
	if list == nil {
		return nil
	}
	var out []platform.Platform
	first := map[platform.Platform]string{}
	for i, raw := range *list {
		el := where.child(strconv.Itoa(i))
		p, err := platform.Parse(raw)
		if err != nil {
			d.errs.at(el, "%v", err)
			continue
		}
		if prev, ok := first[p]; ok {
			d.errs.at(el, "%q is the same platform as %q", raw, prev)
			continue
		}
		first[p] = raw
		out = append(out, p)
	}
	if len(*list) == 0 {
		d.errs.at(where, "no platforms: list at least one, e.g. \"linux/amd64\"")
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (d *decoder) stage(st *Stage, name string, r rawStage, where loc) {
	st.Name = name
	st.loc = where
	st.From = deref(r.From)
	st.fromLoc = where.child("from")
	if r.From != nil {
		// Known now, for errors found when the base is resolved (a
		// lock without it), after the CUE value is gone.
		st.fromLoc.pos = d.errs.posOf(st.fromLoc.path)
	}
	if r.From != nil && st.From == "" {
		d.errs.at(st.fromLoc, "from is empty: name an image, a stage or image of this spec, or \"scratch\"")
	}
	d.varNames(r.Args, where.child("args"), "build arg")
	d.varNames(r.Env, where.child("env"), "environment variable")
	st.BuildPlatform = deref(r.BuildPlatform)
	st.Args = r.Args
	st.Env = r.Env
	st.Workdir = deref(r.Workdir)
	st.User = deref(r.User)
	st.Steps = nil
	if r.Steps != nil {
		for i, rs := range *r.Steps {
			st.Steps = append(st.Steps, d.step(rs, where.child("steps", strconv.Itoa(i))))
		}
	}
}

var stepKinds = []StepKind{StepRun, StepCopy, StepEnv, StepWorkdir, StepUser, StepArg}

func (d *decoder) step(r rawStep, where loc) Step {
	st := Step{loc: where}
	present := map[StepKind]bool{
		StepRun: r.Run != nil, StepCopy: r.Copy != nil, StepEnv: r.Env != nil,
		StepWorkdir: r.Workdir != nil, StepUser: r.User != nil, StepArg: r.Arg != nil,
	}
	var kinds []string
	for _, k := range stepKinds {
		if present[k] {
			kinds = append(kinds, string(k))
			if st.Kind == "" {
				st.Kind = k
			}
		}
	}
	switch len(kinds) {
	case 0:
		d.errs.at(where, "a step needs one of run, copy, env, workdir, user or arg")
		return st
	case 1:
	default:
		d.errs.at(where, "a step has exactly one of run, copy, env, workdir, user or arg, not %s", strings.Join(kinds, " and "))
		return st
	}
	options := map[string]bool{
		"cache": r.Cache != nil, "secrets": r.Secrets != nil, "network": r.Network != nil,
		"dest": r.Dest != nil, "from": r.From != nil, "chown": r.Chown != nil, "chmod": r.Chmod != nil,
	}
	allowed := map[StepKind][]string{
		StepRun:  {"cache", "secrets", "network"},
		StepCopy: {"dest", "from", "chown", "chmod"},
	}[st.Kind]
	for _, o := range []string{"cache", "secrets", "network", "dest", "from", "chown", "chmod"} {
		if options[o] && !slices.Contains(allowed, o) {
			d.errs.at(where.child(o), "%s is not an option of %s steps", o, st.Kind)
		}
	}
	kindLoc := where.child(string(st.Kind))
	switch st.Kind {
	case StepRun:
		var ok bool
		st.Run, st.Shell, ok = stringOrList(r.Run)
		if ok && (len(st.Run) == 0 || (st.Shell && strings.TrimSpace(st.Run[0]) == "")) {
			d.errs.at(kindLoc, "empty command")
		}
		for _, c := range r.Cache {
			if c.Sharing == "" {
				c.Sharing = "shared"
			}
			st.Cache = append(st.Cache, CacheMount{Target: deref(c.Target), ID: c.ID, Sharing: c.Sharing})
		}
		d.cacheMounts(r.Cache, where.child("cache"))
		for _, s := range r.Secrets {
			m := SecretMount(s)
			if m.Target == "" && m.Env == "" && m.ID != "" {
				m.Target = "/run/secrets/" + m.ID
			}
			st.Secrets = append(st.Secrets, m)
		}
		d.secretMounts(r.Secrets, where.child("secrets"))
		st.Network = deref(r.Network)
	case StepCopy:
		var shell bool
		st.Copy, shell, _ = stringOrList(r.Copy)
		st.From = deref(r.From)
		st.fromLoc = where.child("from")
		if r.From != nil {
			st.fromLoc.pos = d.errs.posOf(st.fromLoc.path)
		}
		if r.From != nil && st.From == "" {
			d.errs.at(st.fromLoc, "from is empty: leave it out to copy from the build context")
		}
		if st.From == "" {
			for i, src := range st.Copy {
				el := kindLoc
				if !shell {
					el = kindLoc.child(strconv.Itoa(i))
				}
				d.contextSource(src, el)
			}
		}
		if len(st.Copy) == 0 {
			d.errs.at(kindLoc, "nothing to copy")
		}
		if r.Dest == nil {
			d.errs.at(where, "a copy step needs dest")
		}
		st.Dest = deref(r.Dest)
		st.Chown = deref(r.Chown)
		if r.Chown != nil && !validChown(st.Chown) {
			d.errs.at(where.child("chown"), "invalid chown %q: want USER or USER:GROUP, each a name or a numeric id", st.Chown)
		}
		st.Chmod = deref(r.Chmod)
	case StepEnv:
		st.Env = *r.Env
		d.varNames(st.Env, kindLoc, "environment variable")
	case StepWorkdir:
		st.Workdir = *r.Workdir
	case StepUser:
		st.User = *r.User
	case StepArg:
		st.Args = *r.Arg
		for _, k := range SortedKeys(st.Args) {
			if msg := badVarName(k); msg != "" {
				d.errs.at(kindLoc.child(k), "invalid build arg name %q: %s", k, msg)
			}
		}
		if st.Args == nil {
			st.Args = map[string]*string{}
		}
	}
	return st
}

// stringOrList reads a `string | [...string]` value: a string comes back
// as one element with shell set. ok is false for anything else (the
// schema reports it).
func stringOrList(v any) (list []string, shell, ok bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true, true
	case []any:
		for _, e := range x {
			s, isStr := e.(string)
			if !isStr {
				return nil, false, false
			}
			list = append(list, s)
		}
		return list, false, true
	}
	return nil, false, false
}

// contextSource checks that a copy source from the build context stays
// inside it: the context is all the daemon gets, and a spec that reaches
// outside it would not build the same on another machine.
func (d *decoder) contextSource(src string, where loc) {
	switch {
	case path.IsAbs(src) || filepath.IsAbs(src):
		d.errs.at(where, "copy source %q is an absolute path; sources are relative to the build context", src)
	case path.Clean(src) == ".." || strings.HasPrefix(path.Clean(src), "../"):
		d.errs.at(where, "copy source %q is outside the build context", src)
	}
}

var exposeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]{1,5})(/(tcp|udp|sctp))?$`) })

// tagRE is the OCI distribution tag grammar, but its length (at most 128,
// checked apart: a counted repetition costs start-up time).
var tagRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`) })

// validTag tells whether tag is a tag by the OCI distribution grammar.
func validTag(tag string) bool { return len(tag) <= 128 && tagRE().MatchString(tag) }

func (d *decoder) image(name string, r rawImage, defaults []platform.Platform, top tagRules) *Image {
	where := at("images", name)
	im := &Image{Cache: r.Cache == nil || *r.Cache}
	d.stage(&im.Stage, name, r.rawStage, where)

	var repo reference.Named
	if r.Repository != nil {
		list, single, _ := stringOrList(r.Repository)
		for i, raw := range list {
			rl := where.child("repository")
			if !single {
				rl = rl.child(strconv.Itoa(i))
			}
			named, err := ref.ParseRepository(raw)
			if err != nil {
				d.errs.at(rl, "%v", err)
				continue
			}
			if slices.Contains(im.Repositories, named.Name()) {
				d.errs.at(rl, "%s is listed twice", named.Name())
				continue
			}
			if repo == nil {
				repo = named
				im.Repository = named.Name()
			}
			im.Repositories = append(im.Repositories, named.Name())
		}
	}

	im.Platforms = d.platforms(r.Platforms, where.child("platforms"))
	if r.Platforms == nil {
		im.Platforms = defaults
		if im.Platforms == nil {
			im.Platforms = []platform.Platform{{OS: "linux", Architecture: "amd64"}}
		}
	}

	var ctxOK bool
	im.Context, ctxOK = d.context(r.Context, where.child("context"))

	seen := map[string]bool{}
	for i, tag := range r.Tags {
		tl := where.child("tags", strconv.Itoa(i))
		if seen[tag] {
			d.errs.at(tl, "duplicate tag %q", tag)
			continue
		}
		seen[tag] = true
		if !d.checkTag(tag, repo, tl) {
			continue
		}
		im.Tags = append(im.Tags, tag)
		im.tagLocs = append(im.tagLocs, tl)
	}
	d.tags(im, repo, rulesFor(r, where, top))

	d.buildSource(im, r, where, ctxOK)

	im.Stages = map[string]*Stage{}
	for _, sname := range SortedKeys(r.Stages) {
		st := &Stage{}
		d.stage(st, sname, r.Stages[sname], where.child("stages", sname))
		im.Stages[sname] = st
	}
	d.metadata(im, r)
	im.Annotations = d.imageAnnotations(im, r.Annotations, where.child("annotations"))
	im.Volumes = r.Volumes
	for i, e := range r.Expose {
		port := fmt.Sprint(e)
		el := where.child("expose", strconv.Itoa(i))
		m := exposeRE().FindStringSubmatch(port)
		if m == nil {
			d.errs.at(el, "invalid port %q: want PORT or PORT/tcp|udp|sctp", port)
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n < 1 || n > 65535 {
			d.errs.at(el, "port %s is out of range 1-65535", m[1])
			continue
		}
		if m[2] == "" {
			port += "/tcp"
		}
		im.Expose = append(im.Expose, port)
	}
	return im
}

// context is the build context directory rel (nil: the spec's
// directory), checked at cl; ok is false when it was reported.
func (d *decoder) context(rel *string, cl loc) (dir string, ok bool) {
	if rel == nil {
		return d.dir, true
	}
	dir = filepath.Join(d.dir, filepath.FromSlash(*rel))
	if path.IsAbs(*rel) || filepath.IsAbs(*rel) {
		d.errs.at(cl, "context %q is an absolute path; write it relative to the spec file", *rel)
	} else if fi, err := os.Stat(dir); err != nil {
		d.errs.at(cl, "context directory %q does not exist", *rel)
	} else if !fi.IsDir() {
		d.errs.at(cl, "context %q is not a directory", *rel)
	} else if root, ok := d.repoRoot(); ok && !inside(root, dir) {
		// The daemon gets every file of the context: a spec must not
		// send it the runner's home or /.
		d.errs.at(cl, "context %q resolves outside the repository that holds the spec (%s)", *rel, d.rootName)
	} else {
		return dir, true
	}
	return dir, false
}

// buildSource checks that an image is built from exactly one source:
// native steps on top of from, or a Dockerfile.
func (d *decoder) buildSource(im *Image, r rawImage, where loc, ctxOK bool) {
	if im.BuildPlatform {
		d.errs.at(where.child("buildPlatform"), "an image is built for each of its platforms; pin one of its stages to the build platform instead")
	}
	if r.Target != nil && r.Dockerfile == nil {
		d.errs.at(where.child("target"), "target picks a stage of a Dockerfile; this image has no dockerfile")
	}
	if r.Checks != nil && r.Dockerfile == nil {
		d.errs.at(where.child("checks"), "checks are BuildKit's Dockerfile checks; this image has no dockerfile")
	}
	if r.Dockerfile == nil {
		if r.From == nil {
			d.errs.at(where, "an image needs from (an image, a stage, or \"scratch\") or dockerfile")
		}
		return
	}
	excl := map[string]bool{"from": r.From != nil, "steps": r.Steps != nil, "stages": r.Stages != nil,
		"env": r.Env != nil, "workdir": r.Workdir != nil, "user": r.User != nil}
	for _, f := range []string{"from", "steps", "stages", "env", "workdir", "user"} {
		if excl[f] {
			d.errs.at(where.child(f), "%s does not go with dockerfile: a Dockerfile image is built from the Dockerfile alone", f)
		}
	}
	im.Dockerfile = *r.Dockerfile
	im.Target = deref(r.Target)
	im.targetLoc = where.child("target")
	im.Checks = d.readChecks(r.Checks, d.checks, where.child("checks"))
	if ctxOK { // else the context's error says it all
		d.dockerfile(im, where.child("dockerfile"))
	}
}

// metadata reads the image config fields a platform may override.
func (d *decoder) metadata(im *Image, r rawImage) {
	im.Labels = r.Labels
	im.Entrypoint = shellForm(r.Entrypoint)
	im.Cmd = shellForm(r.Cmd)
}

// shellForm reads an entrypoint or cmd: a string runs through /bin/sh -c,
// as in a Dockerfile's shell form.
func shellForm(v any) []string {
	list, shell, ok := stringOrList(v)
	switch {
	case !ok:
		return nil
	case shell:
		return []string{"/bin/sh", "-c", list[0]}
	case list == nil:
		return []string{}
	}
	return list
}

// epoch reads the spec's epoch: Unix seconds, or "git" for the commit
// time.
func (d *decoder) epoch(v any) *time.Time {
	switch x := v.(type) {
	case float64:
		t := time.Unix(int64(x), 0).UTC()
		return &t
	case string:
		if d.build.CommitTime == 0 {
			d.errs.at(at("epoch"), `epoch: "git" needs the commit's time, and there is no commit (or no git)`)
			return nil
		}
		t := time.Unix(d.build.CommitTime, 0).UTC()
		return &t
	}
	return nil
}
