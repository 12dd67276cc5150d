package llbgen

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

// includes are the context files one image's graph copies, by context
// directory: every local source of that directory in the graph carries the
// same filter, so a build session sends each context once, and only what
// the copy steps need. A nil list means the whole directory.
type includes struct {
	dirs map[string][]string
	all  map[string]bool
}

// includesFor collects the context sources of everything image builds
// from on platform.
func (l *Lowerer) includesFor(im *spec.Image, platform platform.Platform) *includes {
	inc := &includes{dirs: map[string][]string{}, all: map[string]bool{}}
	seen := map[*spec.Stage]bool{}
	var visitImage func(im *spec.Image)
	var visitStage func(scope *spec.Image, st *spec.Stage)
	visitRef := func(scope *spec.Image, name string) {
		ref, ok := l.spec.Resolve(scope, name)
		if !ok {
			return
		}
		switch ref.Kind {
		case spec.RefStage:
			visitStage(scope, ref.Stage)
		case spec.RefImage:
			visitImage(ref.Image)
		}
	}
	visitStage = func(scope *spec.Image, st *spec.Stage) {
		if seen[st] {
			return
		}
		seen[st] = true
		if st.From != "" {
			visitRef(scope, st.From)
		}
		dir := l.contextDir(scope, st)
		for _, s := range st.Steps {
			switch {
			case s.Kind != spec.StepCopy:
			case s.From != "":
				visitRef(scope, s.From)
			default:
				for _, src := range s.Copy {
					p := path.Clean(strings.TrimPrefix(filepath.ToSlash(src), "./"))
					if p == "." || p == "/" {
						inc.all[dir] = true
					}
					inc.dirs[dir] = append(inc.dirs[dir], p)
				}
			}
		}
	}
	visitImage = func(im *spec.Image) {
		v := im.ForPlatform(platform)
		if v.Dockerfile == "" {
			visitStage(v, &v.Stage)
		}
	}
	visitImage(im)
	return inc
}

// of is the filter of dir: nil for everything.
func (inc *includes) of(dir string) []string {
	if inc == nil || inc.all[dir] {
		return nil
	}
	return sortedUnique(inc.dirs[dir])
}

// contextDir is the build context of a stage: its image's, or for a
// top-level stage the spec's directory.
func (l *Lowerer) contextDir(scope *spec.Image, st *spec.Stage) string {
	if top, ok := l.spec.Stages[st.Name]; ok && top == st {
		return l.spec.Dir
	}
	if scope != nil {
		return scope.Context
	}
	return l.spec.Dir
}
