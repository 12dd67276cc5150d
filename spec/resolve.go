package spec

import "github.com/distribution/reference"

// RefKind says what a from or copy-from name refers to.
type RefKind int

// The kinds of reference.
const (
	RefExternal RefKind = iota // an image reference, pulled from a registry
	RefScratch                 // the empty filesystem
	RefStage                   // a stage of the spec
	RefImage                   // an image of the spec
)

// Ref is a resolved from or copy-from name.
type Ref struct {
	Kind  RefKind
	Stage *Stage // RefStage
	Image *Image // RefImage
	// Name is the normalized image reference (RefExternal) or the stage or
	// image name.
	Name string
}

// Resolve finds what name means inside scope (the image whose stage or
// step names it; nil for a top-level stage). As in a Dockerfile's FROM,
// names of the spec win over image references: the image's own stages
// first, then the top-level stages, then the spec's images.
func (s *Spec) Resolve(scope *Image, name string) (Ref, bool) {
	if scope != nil {
		if st, ok := scope.Stages[name]; ok {
			return Ref{Kind: RefStage, Stage: st, Name: name}, true
		}
	}
	if st, ok := s.Stages[name]; ok {
		return Ref{Kind: RefStage, Stage: st, Name: name}, true
	}
	if im, ok := s.Images[name]; ok {
		return Ref{Kind: RefImage, Image: im, Name: name}, true
	}
	if name == "scratch" {
		return Ref{Kind: RefScratch, Name: name}, true
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return Ref{}, false
	}
	return Ref{Kind: RefExternal, Name: reference.TagNameOnly(named).String()}, true
}

// StepAt returns the path of the step written at line and col of the
// spec file, or "".
func (s *Spec) StepAt(line, col int) string {
	find := func(st *Stage) string {
		for i := range st.Steps {
			p := st.Steps[i].Pos
			if p.IsValid() && p.Line() == line && p.Column() == col {
				return st.Steps[i].Path()
			}
		}
		return ""
	}
	for _, name := range SortedKeys(s.Stages) {
		if p := find(s.Stages[name]); p != "" {
			return p
		}
	}
	for _, name := range s.ImageNames {
		im := s.Images[name]
		for _, v := range im.All() {
			if p := find(&v.Stage); p != "" {
				return p
			}
		}
		for _, sname := range SortedKeys(im.Stages) {
			if p := find(im.Stages[sname]); p != "" {
				return p
			}
		}
	}
	return ""
}
