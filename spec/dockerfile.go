package spec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// Limits of the files a load reads; docs/trust.md lists them.
const (
	// MaxSpecSize bounds the spec file. Real specs are a few kilobytes.
	// CUE's evaluation time grows with the square of the fields of one
	// struct (its arcs are a list searched per field): 1 MiB of labels,
	// about 36,000, takes some 5 s; 50 MB took minutes.
	MaxSpecSize = 1 << 20
	// MaxDockerfileSize bounds a Dockerfile, and a .dockerignore.
	MaxDockerfileSize = 1 << 20
)

// dockerfile reads, checks and parses the Dockerfile of im, reporting
// what BuildKit's converter would reject at the dockerfile field.
func (d *decoder) dockerfile(im *Image, dl loc) {
	rel := im.Dockerfile
	if path.IsAbs(rel) || filepath.IsAbs(rel) {
		d.errs.at(dl, "Dockerfile %q is an absolute path; write it relative to the context", rel)
		return
	}
	p := filepath.Join(im.Context, filepath.FromSlash(rel))
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		d.errs.at(dl, "Dockerfile %q does not exist in the context", rel)
		return
	case fi.IsDir():
		d.errs.at(dl, "Dockerfile %q is a directory", rel)
		return
	}
	if root, ok := d.repoRoot(); ok && !inside(root, p) {
		d.errs.at(dl, "Dockerfile %q resolves outside the repository that holds the spec (%s)", rel, d.rootName)
		return
	}
	f := d.readDockerfile(p)
	if f.err != nil {
		d.errs.at(dl, "reading Dockerfile: %v", f.err)
		return
	}
	im.DockerfileData, im.ParsedDockerfile = f.data, f.parsed
	if err := f.parsed.Err(); err != nil {
		d.errs.at(dl, "%s", dockerfileMessage(rel, err))
	}
	im.CheckErrorDirective = f.parsed.CheckError()
	ig := d.readIgnore(im.Context)
	if ig.err != nil {
		d.errs.at(dl, "reading the context's .dockerignore: %v", ig.err)
	}
	im.DockerIgnore = ig.patterns
}

// dockerfileFile is a Dockerfile read, and parsed, by a load.
type dockerfileFile struct {
	data   []byte
	parsed *ParsedDockerfile
	err    error // reading it
}

// readDockerfile reads and parses the Dockerfile at p once per load:
// images often share one (several targets of a Dockerfile, a platform
// that changes only the context).
func (d *decoder) readDockerfile(p string) *dockerfileFile {
	if f, ok := d.dockerfiles[p]; ok {
		return f
	}
	f := &dockerfileFile{}
	if f.data, f.err = safefile.Read(p, MaxDockerfileSize); f.err == nil {
		f.parsed = ParseDockerfile(f.data)
		if d.parsed != nil {
			d.parsed(p)
		}
	}
	if d.dockerfiles == nil {
		d.dockerfiles = map[string]*dockerfileFile{}
	}
	d.dockerfiles[p] = f
	return f
}

// ignoreFile is a context's .dockerignore as read by a load.
type ignoreFile struct {
	patterns []string
	err      error
}

// readIgnore reads the .dockerignore of the context dir, once per load.
func (d *decoder) readIgnore(dir string) ignoreFile {
	if ig, ok := d.ignores[dir]; ok {
		return ig
	}
	var ig ignoreFile
	p := filepath.Join(dir, ".dockerignore")
	if _, err := os.Lstat(p); err == nil {
		var dt []byte
		if dt, ig.err = safefile.Read(p, MaxDockerfileSize); ig.err == nil {
			ig.patterns, ig.err = ignorefile.ReadAll(bytes.NewReader(dt))
		}
	}
	if d.ignores == nil {
		d.ignores = map[string]ignoreFile{}
	}
	d.ignores[dir] = ig
	return ig
}

// BaseEnvUnknown tells whether the environment at line of the image's
// Dockerfile may hold variables of an image from a registry: the stage
// holding the line starts, directly or through earlier stages, from one
// (or from a name made of args). Offline, with base images unresolved,
// their variables are unknown.
func (im *Image) BaseEnvUnknown(line int) bool {
	if im.ParsedDockerfile == nil {
		return false
	}
	return im.ParsedDockerfile.baseEnvUnknown(line)
}

// dockerfileMessage is an error of BuildKit's Dockerfile parser or
// converter as NAME:LINE: message.
func dockerfileMessage(name string, err error) string {
	var le *parser.LocationError
	if errors.As(err, &le) {
		line := 0
		if len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
			line = le.Locations[0][0].Start.Line
		}
		if inner := le.Unwrap(); inner != nil && line > 0 {
			return fmt.Sprintf("%s:%d: %v", name, line, inner)
		}
	}
	return fmt.Sprintf("%s: %v", name, err)
}

// DockerfileError is err, from converting the Dockerfile of im, as an
// error of the spec at im's dockerfile field.
func (im *Image) DockerfileError(err error) error {
	where := im.dockerfilePath
	if where == nil {
		where = im.Stage.loc.child("dockerfile").path
	}
	return &specError{pos: im.dockerfilePos, path: where, msg: dockerfileMessage(im.Dockerfile, err)}
}

// checkTarget reports a target that names no stage of the Dockerfile.
// BuildKit compares stage names without regard to case.
func checkTarget(im *Image, errs *errorList) {
	for _, v := range im.All() {
		if v.Target == "" || v.ParsedDockerfile == nil || v.ParsedDockerfile.Err() != nil {
			continue // no Dockerfile, or one that did not parse
		}
		var named []string
		found := false
		for _, st := range v.ParsedDockerfile.Stages {
			if st.Name != "" {
				named = append(named, st.Name)
			}
			found = found || st.Name == strings.ToLower(v.Target)
		}
		if found {
			continue
		}
		if len(named) == 0 {
			errs.at(v.targetLoc, "target %q: %s has no named stage (FROM ... AS NAME)", v.Target, v.Dockerfile)
		} else {
			errs.at(v.targetLoc, "target %q is not a stage of %s (its stages: %s)", v.Target, v.Dockerfile, strings.Join(named, ", "))
		}
	}
}

// repoRoot is the directory a Dockerfile must lie in: the top of the git
// work tree that holds the spec, else the spec's directory; absolute,
// symlinks resolved. ok is false when it cannot be told.
func (d *decoder) repoRoot() (string, bool) {
	if d.root != "" {
		return d.root, true
	}
	dir, err := filepath.Abs(d.dir)
	if err != nil {
		return "", false
	}
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		return "", false
	}
	d.root, d.rootName = dir, "the spec's directory, in no git work tree"
	for p := dir; ; {
		if _, err := os.Lstat(filepath.Join(p, ".git")); err == nil {
			d.root, d.rootName = p, "the git work tree"
			if rel, err := filepath.Rel(dir, p); err == nil {
				d.rootName += " at " + filepath.ToSlash(rel)
			}
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	return d.root, true
}

// inside tells whether the file p, after symlinks, lies in the directory
// root (absolute, symlinks already resolved).
func inside(root, p string) bool {
	abs, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return false
	}
	rel, err := filepath.Rel(root, abs)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
