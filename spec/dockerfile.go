package spec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// Limits of the files a load reads; README.md's "Limits" lists them.
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
	if im.DockerfileData, err = safefile.Read(p, MaxDockerfileSize); err != nil {
		d.errs.at(dl, "reading Dockerfile: %v", err)
		return
	}
	im.dockerfileStages = d.parseDockerfile(im.DockerfileData, rel, dl)
	im.CheckErrorDirective = checkErrorDirective(im.DockerfileData)
	ignore := filepath.Join(im.Context, ".dockerignore")
	if _, err := os.Lstat(ignore); err == nil {
		dt, err := safefile.Read(ignore, MaxDockerfileSize)
		if err == nil {
			im.DockerIgnore, err = ignorefile.ReadAll(bytes.NewReader(dt))
		}
		if err != nil {
			d.errs.at(dl, "reading the context's .dockerignore: %v", err)
		}
	}
}

// dockerfileStage is what vet needs of a stage of a Dockerfile.
type dockerfileStage struct {
	name string // lower case; "" for an unnamed stage
	base string // the FROM image or stage, as written
	line int    // of the FROM line
}

// parseDockerfile parses a Dockerfile as BuildKit's converter does and
// returns its stages (nil when it does not parse; the error is reported
// at where as "NAME:LINE: message").
func (d *decoder) parseDockerfile(dt []byte, name string, where loc) []dockerfileStage {
	report := func(err error) { d.errs.at(where, "%s", dockerfileMessage(name, err)) }
	if len(dt) == 0 {
		d.errs.at(where, "%s: the Dockerfile is empty", name)
		return nil
	}
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		report(err)
		return nil
	}
	stages, _, err := instructions.Parse(res.AST, quietLinter())
	if err != nil {
		report(err)
		return nil
	}
	if len(stages) == 0 {
		d.errs.at(where, "%s: no FROM: the Dockerfile has no stage to build", name)
		return nil
	}
	out := make([]dockerfileStage, 0, len(stages))
	for _, st := range stages {
		ds := dockerfileStage{name: st.Name, base: st.BaseName}
		if len(st.Location) > 0 {
			ds.line = st.Location[0].Start.Line
		}
		out = append(out, ds)
	}
	return out
}

// BaseEnvUnknown tells whether the environment at line of the image's
// Dockerfile may hold variables of an image from a registry: the stage
// holding the line starts, directly or through earlier stages, from one
// (or from a name made of args). Offline, with base images unresolved,
// their variables are unknown.
func (im *Image) BaseEnvUnknown(line int) bool {
	stages := im.dockerfileStages
	i := len(stages) - 1
	for i >= 0 && stages[i].line > line {
		i--
	}
	if i < 0 {
		return false // before the first FROM only args are in scope
	}
	for {
		base := strings.ToLower(stages[i].base)
		if base == "scratch" {
			return false
		}
		// A FROM names an earlier stage; the index only decreases.
		if i = slices.IndexFunc(stages[:i], func(s dockerfileStage) bool { return s.name == base }); i < 0 {
			return true
		}
	}
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
		if v.Target == "" || v.dockerfileStages == nil {
			continue // no Dockerfile, or one that did not parse
		}
		var named []string
		found := false
		for _, st := range v.dockerfileStages {
			if st.name != "" {
				named = append(named, st.name)
			}
			found = found || st.name == strings.ToLower(v.Target)
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
