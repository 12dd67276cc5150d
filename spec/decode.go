package spec

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/patternmatcher/ignorefile"
)

// decoder turns the unified, validated value into Go values, checking on
// the way what needs the value's position at hand.
type decoder struct {
	errs *errorList
	dir  string // the spec's directory
}

func (d *decoder) spec(v cue.Value, file string) *Spec {
	s := &Spec{
		File:   file,
		Dir:    d.dir,
		Stages: map[string]*Stage{},
		Images: map[string]*Image{},
	}
	defaults := d.platforms(lookup(v, "platforms"))
	fields(lookup(v, "stages"), func(name string, sv cue.Value) {
		st := &Stage{}
		d.stage(st, name, sv)
		s.Stages[name] = st
	})
	fields(lookup(v, "images"), func(name string, iv cue.Value) {
		s.Images[name] = d.image(name, iv, defaults)
		s.ImageNames = append(s.ImageNames, name)
	})
	s.ImageNames = SortedKeys(s.Images)
	return s
}

// platforms reads a list of platform strings, normalized so that
// linux/arm64/v8 and linux/arm64 are one platform and linux/arm is v7.
func (d *decoder) platforms(v cue.Value) []string {
	if !v.Exists() {
		return nil
	}
	var out []string
	first := map[string]string{}
	elems(v, func(_ int, ev cue.Value) {
		raw := str(ev)
		p, err := NormalizePlatform(raw)
		if err != nil {
			d.errs.at(locOf(ev), "%v", err)
			return
		}
		if prev, ok := first[p]; ok {
			d.errs.at(locOf(ev), "%q is the same platform as %q", raw, prev)
			return
		}
		first[p] = raw
		out = append(out, p)
	})
	if len(out) == 0 && len(first) == 0 {
		d.errs.at(locOf(v), "no platforms: list at least one, e.g. \"linux/amd64\"")
	}
	return out
}

// NormalizePlatform parses an os/arch[/variant] string and returns its
// normal form.
func NormalizePlatform(s string) (string, error) {
	if strings.Count(s, "/") == 0 {
		return "", fmt.Errorf("invalid platform %q: want os/arch[/variant], e.g. linux/arm64", s)
	}
	p, err := platforms.Parse(s)
	if err != nil {
		return "", fmt.Errorf("invalid platform %q: %v", s, unwrapPlatformErr(err))
	}
	p = platforms.Normalize(p)
	if !knownOS[p.OS] {
		return "", fmt.Errorf("invalid platform %q: unknown operating system %q", s, p.OS)
	}
	if !knownArch[p.Architecture] {
		return "", fmt.Errorf("invalid platform %q: unknown architecture %q", s, p.Architecture)
	}
	return platforms.Format(p), nil
}

// knownOS and knownArch are Go's GOOS and GOARCH values, the names OCI
// image platforms use; containerd's parser accepts any word.
var (
	knownOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios",
		"js", "linux", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows")
	knownArch = setOf("386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le",
		"mipsle", "ppc64", "ppc64le", "riscv64", "s390x", "wasm")
)

func setOf(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, x := range s {
		m[x] = true
	}
	return m
}

func unwrapPlatformErr(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[:i]
	}
	return msg
}

func (d *decoder) stage(st *Stage, name string, v cue.Value) {
	st.Name = name
	st.Pos = v.Pos()
	st.loc = locOf(v)
	if f := lookup(v, "from"); f.Exists() {
		st.From = str(f)
		st.fromLoc = locOf(f)
	}
	st.BuildPlatform = boolean(lookup(v, "buildPlatform"))
	st.Args = strMap(lookup(v, "args"))
	st.Env = strMap(lookup(v, "env"))
	st.Workdir = str(lookup(v, "workdir"))
	st.User = str(lookup(v, "user"))
	st.Steps = d.steps(lookup(v, "steps"))
}

func (d *decoder) steps(v cue.Value) []Step {
	var out []Step
	elems(v, func(_ int, ev cue.Value) { out = append(out, d.step(ev)) })
	return out
}

// stepOptions says which fields each step kind takes besides its own.
var stepOptions = map[StepKind][]string{
	StepRun:  {"cache", "secrets", "network"},
	StepCopy: {"dest", "from", "chown", "chmod"},
}

// stepFields are the fields of the schema's #Step.
var stepFields = setOf("run", "cache", "secrets", "network", "copy", "dest", "from", "chown", "chmod", "env", "workdir", "user", "arg")

var stepKinds = []StepKind{StepRun, StepCopy, StepEnv, StepWorkdir, StepUser, StepArg}

func (d *decoder) step(v cue.Value) Step {
	st := Step{Pos: v.Pos(), loc: locOf(v)}
	var kinds []string
	for _, k := range stepKinds {
		if has(v, string(k)) {
			kinds = append(kinds, string(k))
			if st.Kind == "" {
				st.Kind = k
			}
		}
	}
	switch len(kinds) {
	case 0:
		d.errs.at(st.loc, "a step needs one of run, copy, env, workdir, user or arg")
		return st
	case 1:
	default:
		d.errs.at(st.loc, "a step has exactly one of run, copy, env, workdir, user or arg, not %s", strings.Join(kinds, " and "))
		return st
	}
	allowed := map[string]bool{string(st.Kind): true}
	for _, o := range stepOptions[st.Kind] {
		allowed[o] = true
	}
	fields(v, func(name string, fv cue.Value) {
		// Fields the schema does not know are its to report.
		if !allowed[name] && stepFields[name] {
			d.errs.at(locOf(fv), "%s is not an option of %s steps", name, st.Kind)
		}
	})
	kv := lookup(v, string(st.Kind))
	switch st.Kind {
	case StepRun:
		st.Run, st.Shell = strOrList(kv)
		if k := kv.IncompleteKind(); k != cue.StringKind && k != cue.ListKind {
			// Not a command at all: the schema says so.
		} else if len(st.Run) == 0 || (st.Shell && strings.TrimSpace(st.Run[0]) == "") {
			d.errs.at(locOf(kv), "empty command")
		}
		elems(lookup(v, "cache"), func(_ int, cv cue.Value) {
			m := CacheMount{Target: str(lookup(cv, "target")), ID: str(lookup(cv, "id")), Sharing: str(lookup(cv, "sharing"))}
			if m.Sharing == "" {
				m.Sharing = "shared"
			}
			st.Cache = append(st.Cache, m)
		})
		elems(lookup(v, "secrets"), func(_ int, sv cue.Value) {
			m := SecretMount{ID: str(lookup(sv, "id")), Target: str(lookup(sv, "target")), Env: str(lookup(sv, "env")), Required: boolean(lookup(sv, "required"))}
			switch {
			case m.Target != "" && m.Env != "":
				d.errs.at(locOf(sv), "a secret is mounted as a file (target) or an environment variable (env), not both")
			case m.Target == "" && m.Env == "":
				m.Target = "/run/secrets/" + m.ID
			}
			st.Secrets = append(st.Secrets, m)
		})
		st.Network = str(lookup(v, "network"))
	case StepCopy:
		st.Copy, _ = strOrList(kv)
		if f := lookup(v, "from"); f.Exists() {
			st.From = str(f)
			st.fromLoc = locOf(f)
		}
		if st.From == "" {
			d.contextSources(kv)
		}
		if len(st.Copy) == 0 {
			d.errs.at(locOf(kv), "nothing to copy")
		}
		if !has(v, "dest") {
			d.errs.at(st.loc, "a copy step needs dest")
		}
		st.Dest = str(lookup(v, "dest"))
		st.Chown = str(lookup(v, "chown"))
		st.Chmod = str(lookup(v, "chmod"))
	case StepEnv:
		st.Env = strMap(kv)
	case StepWorkdir:
		st.Workdir = str(kv)
	case StepUser:
		st.User = str(kv)
	case StepArg:
		st.Args = map[string]*string{}
		fields(kv, func(name string, av cue.Value) {
			if av.IsNull() {
				st.Args[name] = nil
				return
			}
			s := str(av)
			st.Args[name] = &s
		})
	}
	return st
}

// contextSources checks that copy sources from the build context stay
// inside it: the context is all the daemon gets, and a spec that reaches
// outside it would not build the same on another machine.
func (d *decoder) contextSources(v cue.Value) {
	check := func(ev cue.Value) {
		src := str(ev)
		switch {
		case path.IsAbs(src) || filepath.IsAbs(src):
			d.errs.at(locOf(ev), "copy source %q is an absolute path; sources are relative to the build context", src)
		case path.Clean(src) == ".." || strings.HasPrefix(path.Clean(src), "../"):
			d.errs.at(locOf(ev), "copy source %q is outside the build context", src)
		}
	}
	if v.IncompleteKind() == cue.StringKind {
		check(v)
		return
	}
	elems(v, func(_ int, ev cue.Value) { check(ev) })
}

var exposeRE = regexp.MustCompile(`^([0-9]{1,5})(/(tcp|udp|sctp))?$`)

func (d *decoder) image(name string, v cue.Value, defaults []string) *Image {
	im := &Image{}
	d.stage(&im.Stage, name, v)

	rv := lookup(v, "repository")
	var repo reference.Named
	if rv.Exists() {
		raw := str(rv)
		named, err := reference.ParseNormalizedNamed(raw)
		switch {
		case err != nil:
			d.errs.at(locOf(rv), "invalid repository %q: %v", raw, err)
		case !reference.IsNameOnly(named):
			d.errs.at(locOf(rv), "repository %q has a tag or digest; list tags in tags", raw)
		default:
			repo = named
			im.Repository = named.Name()
		}
	}

	im.Platforms = d.platforms(lookup(v, "platforms"))
	if !has(v, "platforms") {
		im.Platforms = defaults
		if im.Platforms == nil {
			im.Platforms = []string{"linux/amd64"}
		}
	}

	im.Context = d.dir
	if cv := lookup(v, "context"); cv.Exists() {
		rel := str(cv)
		im.Context = filepath.Join(d.dir, filepath.FromSlash(rel))
		if path.IsAbs(rel) || filepath.IsAbs(rel) {
			d.errs.at(locOf(cv), "context %q is an absolute path; write it relative to the spec file", rel)
		} else if fi, err := os.Stat(im.Context); err != nil {
			d.errs.at(locOf(cv), "context directory %q does not exist", rel)
		} else if !fi.IsDir() {
			d.errs.at(locOf(cv), "context %q is not a directory", rel)
		}
	}

	seen := map[string]bool{}
	elems(lookup(v, "tags"), func(_ int, tv cue.Value) {
		tag := str(tv)
		if seen[tag] {
			d.errs.at(locOf(tv), "duplicate tag %q", tag)
			return
		}
		seen[tag] = true
		if !tagRE.MatchString(tag) {
			d.errs.at(locOf(tv), "invalid tag %q: a tag is 1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", tag)
			return
		}
		if repo != nil {
			if _, err := reference.WithTag(repo, tag); err != nil {
				d.errs.at(locOf(tv), "invalid tag %q: %v", tag, err)
				return
			}
		}
		im.Tags = append(im.Tags, tag)
		im.tagLocs = append(im.tagLocs, locOf(tv))
	})

	d.buildSource(im, v)

	im.Stages = map[string]*Stage{}
	fields(lookup(v, "stages"), func(sname string, sv cue.Value) {
		st := &Stage{}
		d.stage(st, sname, sv)
		im.Stages[sname] = st
	})
	d.metadata(im, v)
	for _, e := range strList(lookup(v, "volumes")) {
		im.Volumes = append(im.Volumes, e)
	}
	elems(lookup(v, "expose"), func(_ int, ev cue.Value) {
		var port string
		if n, err := ev.Int64(); err == nil {
			port = strconv.FormatInt(n, 10)
		} else {
			port = str(ev)
		}
		m := exposeRE.FindStringSubmatch(port)
		if m == nil {
			d.errs.at(locOf(ev), "invalid port %q: want PORT or PORT/tcp|udp|sctp", port)
			return
		}
		if n, _ := strconv.Atoi(m[1]); n < 1 || n > 65535 {
			d.errs.at(locOf(ev), "port %s is out of range 1-65535", m[1])
			return
		}
		if m[2] == "" {
			port += "/tcp"
		}
		im.Expose = append(im.Expose, port)
	})
	d.variants(im, v)
	return im
}

// tagRE is the OCI distribution tag grammar.
var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// buildSource checks that an image is built from exactly one source:
// native steps on top of from, or a Dockerfile.
func (d *decoder) buildSource(im *Image, v cue.Value) {
	loc := locOf(v)
	if im.BuildPlatform {
		d.errs.at(locOf(lookup(v, "buildPlatform")), "an image is built for each of its platforms; pin one of its stages to the build platform instead")
	}
	dv := lookup(v, "dockerfile")
	if tv := lookup(v, "target"); tv.Exists() && !dv.Exists() {
		d.errs.at(locOf(tv), "target picks a stage of a Dockerfile; this image has no dockerfile")
	}
	if !dv.Exists() {
		if !has(v, "from") {
			d.errs.at(loc, "an image needs from (an image, a stage, or \"scratch\") or dockerfile")
		}
		return
	}
	for _, f := range []string{"from", "steps", "stages", "env", "workdir", "user"} {
		if fv := lookup(v, f); fv.Exists() {
			d.errs.at(locOf(fv), "%s does not go with dockerfile: a Dockerfile image is built from the Dockerfile alone", f)
		}
	}
	im.Dockerfile = str(dv)
	im.Target = str(lookup(v, "target"))
	p := filepath.Join(im.Context, filepath.FromSlash(im.Dockerfile))
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		d.errs.at(locOf(dv), "Dockerfile %q does not exist in the context", im.Dockerfile)
		return
	case fi.IsDir():
		d.errs.at(locOf(dv), "Dockerfile %q is a directory", im.Dockerfile)
		return
	}
	if im.DockerfileData, err = os.ReadFile(p); err != nil {
		d.errs.at(locOf(dv), "reading Dockerfile: %v", err)
	}
	if f, err := os.Open(filepath.Join(im.Context, ".dockerignore")); err == nil {
		defer f.Close()
		if im.DockerIgnore, err = ignorefile.ReadAll(f); err != nil {
			d.errs.at(locOf(dv), "reading the context's .dockerignore: %v", err)
		}
	}
}

// metadata reads the image config fields a platform may override.
func (d *decoder) metadata(im *Image, v cue.Value) {
	im.Labels = strMap(lookup(v, "labels"))
	im.Entrypoint = shellForm(lookup(v, "entrypoint"))
	im.Cmd = shellForm(lookup(v, "cmd"))
}

// shellForm reads an entrypoint or cmd: a string runs through /bin/sh -c,
// as in a Dockerfile's shell form.
func shellForm(v cue.Value) []string {
	if !v.Exists() {
		return nil
	}
	list, shell := strOrList(v)
	if shell {
		return []string{"/bin/sh", "-c", list[0]}
	}
	if list == nil {
		list = []string{}
	}
	return list
}
