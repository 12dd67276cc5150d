package spec

import (
	"strings"

	"github.com/distribution/reference"

	"github.com/bricklayer-build/bricklayer/ref"
)

// check runs the rules that span several values of the spec: names,
// references between stages and images, cycles, and tags across images.
func check(s *Spec, errs *errorList) {
	checkNames(s, errs)
	g := newGraph()
	for _, name := range SortedKeys(s.Stages) {
		checkRefs(s, nil, s.Stages[name], g, errs)
	}
	for _, name := range s.ImageNames {
		im := s.Images[name]
		for _, v := range im.All() {
			checkRefs(s, im, &v.Stage, g, errs)
		}
		for _, sname := range SortedKeys(im.Stages) {
			checkRefs(s, im, im.Stages[sname], g, errs)
		}
	}
	g.cycles(errs)
	checkPublished(s, errs)
	for _, name := range s.ImageNames {
		checkTarget(s.Images[name], errs)
	}
}

// All returns the image and each of its per-platform variants, in
// platform order.
func (im *Image) All() []*Image {
	out := []*Image{im}
	for _, p := range im.Platforms {
		if v, ok := im.variants[p]; ok {
			out = append(out, v)
		}
	}
	return out
}

// checkNames keeps names unambiguous: a name resolves to one thing
// whatever scope it is read in.
func checkNames(s *Spec, errs *errorList) {
	for _, name := range SortedKeys(s.Stages) {
		if _, ok := s.Images[name]; ok {
			errs.at(s.Stages[name].loc, "stage %q has the name of an image; names of stages and images must differ", name)
		}
	}
	for _, iname := range s.ImageNames {
		im := s.Images[iname]
		for _, name := range SortedKeys(im.Stages) {
			st := im.Stages[name]
			if _, ok := s.Images[name]; ok {
				errs.at(st.loc, "stage %q has the name of an image; names of stages and images must differ", name)
			} else if _, ok := s.Stages[name]; ok {
				errs.at(st.loc, "stage %q has the name of a top-level stage; rename one of them", name)
			}
		}
	}
}

// nodeKey names a stage or image in the reference graph.
func nodeKey(st *Stage) string { return st.loc.String() }

func checkRefs(s *Spec, scope *Image, st *Stage, g *graph, errs *errorList) {
	from := nodeKey(st)
	g.node(from)
	checkRef := func(name string, at loc, what string) {
		r, ok := s.Resolve(scope, name)
		if !ok {
			errs.at(at, "%q is neither a stage or image of this spec nor a valid image reference", name)
			return
		}
		switch r.Kind {
		case RefStage:
			g.edge(from, nodeKey(r.Stage), at, name)
		case RefImage:
			g.edge(from, nodeKey(&r.Image.Stage), at, name)
		case RefScratch:
			if what == "copy" {
				errs.at(at, "scratch is empty: there is nothing to copy from it")
			}
		case RefExternal:
			if named, err := reference.ParseNormalizedNamed(name); err == nil && ref.BadPort(named) != "" {
				errs.at(at, "invalid image reference %q: %s", name, ref.BadPort(named))
				return
			}
			if near := nearName(s, scope, name); near != "" {
				errs.at(at, "%q is not a stage or image of this spec; did you mean %q? (write docker.io/library/%s for the Docker Hub image)", name, near, name)
			}
		}
	}
	if st.From != "" {
		checkRef(st.From, st.fromLoc, "from")
	}
	for _, step := range st.Steps {
		if step.Kind == StepCopy && step.From != "" {
			checkRef(step.From, step.fromLoc, "copy")
		}
	}
}

// checkPublished rejects two images that publish the same repository:tag:
// whichever pushed last would silently win.
func checkPublished(s *Spec, errs *errorList) {
	owner := map[string]string{}
	for _, name := range s.ImageNames {
		im := s.Images[name]
		if im.Repository == "" {
			continue
		}
		locs := append(append([]loc(nil), im.tagLocs...), im.aliasLocs...)
		for _, repo := range im.Repositories {
			for i, tag := range im.AllTags() {
				tagged := ref.Tagged(repo, tag)
				if prev, ok := owner[tagged]; ok {
					errs.at(locs[i], "%s is also published by image %q", tagged, prev)
					continue
				}
				owner[tagged] = name
			}
		}
	}
}

// graph holds the from and copy-from edges between stages and images.
type graph struct {
	order []string
	edges map[string][]edge
}

type edge struct {
	to   string
	at   loc
	name string
}

func newGraph() *graph { return &graph{edges: map[string][]edge{}} }

func (g *graph) node(k string) {
	if _, ok := g.edges[k]; !ok {
		g.edges[k] = nil
		g.order = append(g.order, k)
	}
}

func (g *graph) edge(from, to string, at loc, name string) {
	g.node(from)
	g.node(to)
	g.edges[from] = append(g.edges[from], edge{to: to, at: at, name: name})
}

// cycles reports each cycle once, at the reference that closes it.
func (g *graph) cycles(errs *errorList) {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(k string)
	visit = func(k string) {
		color[k] = grey
		stack = append(stack, k)
		for _, e := range g.edges[k] {
			switch color[e.to] {
			case white:
				visit(e.to)
			case grey:
				i := len(stack) - 1
				for stack[i] != e.to {
					i--
				}
				cycle := append(append([]string(nil), stack[i:]...), e.to)
				errs.at(e.at, "%q makes a cycle: %s", e.name, strings.Join(cycle, " -> "))
			}
		}
		stack = stack[:len(stack)-1]
		color[k] = black
	}
	for _, k := range g.order {
		if color[k] == white {
			visit(k)
		}
	}
}

// nearName returns a stage or image name visible from scope that a bare
// image name (no registry, path or tag) is probably a typo of: such a
// typo would otherwise surface as a failed pull at build time.
func nearName(s *Spec, scope *Image, name string) string {
	if strings.ContainsAny(name, "/:@.") {
		return ""
	}
	var names []string
	if scope != nil {
		names = append(names, SortedKeys(scope.Stages)...)
	}
	names = append(names, SortedKeys(s.Stages)...)
	names = append(names, s.ImageNames...)
	for _, n := range names {
		if d := editDistance(name, n); d > 0 && d <= 2 && d < len(n)/2+1 {
			return n
		}
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
