package compose

import (
	"errors"
	"fmt"
	"strconv"

	yaml4 "go.yaml.in/yaml/v4"
	"gopkg.in/yaml.v3"
)

// MaxNodes is the most YAML nodes one document of a compose file may come
// to once its aliases are expanded, every use of an anchor counting all
// that the anchor holds again. Hand-written files come to a few thousand,
// and compose-go's loader stops at as many node visits; the limit is there
// so that a few lines of nested aliases (an "alias bomb", billions of
// nodes once expanded) are refused at once instead of being expanded by
// the rewrite, the merge or the model comparison.
const MaxNodes = 100_000

// errUnsupported marks the refusals of a construct bricklayer does not
// read (see readModel); tests tell them from other errors.
var errUnsupported = errors.New("unsupported")

// refuse is a refusal at a place in the file.
func refuse(line, col int, format string, args ...any) error {
	return &PosError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...), Err: errUnsupported}
}

// kind is the shape of a YAML node, whichever library parsed it.
type kind uint8

const (
	scalarKind kind = iota
	mappingKind
	sequenceKind
	aliasKind
	documentKind
)

// nodeOps is what walking a node tree needs of a YAML library's nodes:
// yaml.v3 parses the files that are rewritten, go.yaml.in/yaml/v4 (the
// library compose-go decodes with) those read as compose models.
type nodeOps[N comparable] struct {
	kind    func(N) kind
	content func(N) []N
	alias   func(N) N // the node an alias names
	isMerge func(N) bool
	value   func(N) string
	pos     func(N) (line, col int)
}

var v3Ops = nodeOps[*yaml.Node]{
	kind: func(n *yaml.Node) kind {
		switch n.Kind {
		case yaml.MappingNode:
			return mappingKind
		case yaml.SequenceNode:
			return sequenceKind
		case yaml.AliasNode:
			return aliasKind
		case yaml.DocumentNode:
			return documentKind
		}
		return scalarKind
	},
	content: func(n *yaml.Node) []*yaml.Node { return n.Content },
	alias:   func(n *yaml.Node) *yaml.Node { return n.Alias },
	isMerge: func(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!merge" },
	value:   func(n *yaml.Node) string { return n.Value },
	pos:     func(n *yaml.Node) (int, int) { return n.Line, n.Column },
}

var v4Ops = nodeOps[*yaml4.Node]{
	kind: func(n *yaml4.Node) kind {
		switch n.Kind {
		case yaml4.MappingNode:
			return mappingKind
		case yaml4.SequenceNode:
			return sequenceKind
		case yaml4.AliasNode:
			return aliasKind
		case yaml4.DocumentNode:
			return documentKind
		}
		return scalarKind
	},
	content: func(n *yaml4.Node) []*yaml4.Node { return n.Content },
	alias:   func(n *yaml4.Node) *yaml4.Node { return n.Alias },
	isMerge: func(n *yaml4.Node) bool { return n.Kind == yaml4.ScalarNode && n.ShortTag() == "!!merge" },
	value:   func(n *yaml4.Node) string { return n.Value },
	pos:     func(n *yaml4.Node) (int, int) { return n.Line, n.Column },
}

// expansion walks a document as a decoder expands it: every alias is
// followed at every use, and the mappings a merge key (<<) names are read
// as part of the mapping holding it. It refuses a document that comes to
// more than MaxNodes nodes, so every later walk of it is bounded too, and
// one where a node holds or merges itself, which would never end. Walked
// from a nil place, it tracks no places.
type expansion[N comparable] struct {
	ops    nodeOps[N]
	left   int
	outer  N          // the outermost alias being expanded, where a bomb is told
	active map[N]bool // the collections being walked
	// Hooks for the model reader, nil when rewriting: node sees every
	// node reached; key every mapping key with the path of its mapping
	// as decoded (keys, and list indexes; merged keys under the mapping
	// they land in); use every alias followed, with the path of the
	// value it stands for; mergeAlias every alias that is a merge key's
	// whole value.
	node       func(N) error
	key        func(k N, path *place) error
	use        func(alias, target N, path *place) error
	mergeAlias func(alias, target N) error
}

// follow is the node alias names. The first alias followed is the outer
// one, where a document too large is told, until the walk is back above
// it.
func (x *expansion[N]) follow(alias N, path *place) (N, error) {
	t := x.ops.alias(alias)
	var zero N
	if x.outer == zero {
		x.outer = alias
	}
	if x.use != nil && t != zero {
		return t, x.use(alias, t, path)
	}
	return t, nil
}

// A place is where a value lands in a document as decoded: under a key
// or a list index of its parent place. Places are made once each, so
// the same place is the same pointer however the walk reached it.
type place struct {
	parent *place
	elem   string
	depth  int
	below  map[string]*place
}

// child is the place under p at elem; nil when p is (paths not tracked).
func (p *place) child(elem string) *place {
	if p == nil {
		return nil
	}
	if c, ok := p.below[elem]; ok {
		return c
	}
	if p.below == nil {
		p.below = map[string]*place{}
	}
	c := &place{parent: p, elem: elem, depth: p.depth + 1}
	p.below[elem] = c
	return c
}

// under tells whether p is at the top level below key top, at depth.
func (p *place) under(top string, depth int) bool {
	if p == nil || p.depth != depth {
		return false
	}
	for p.depth > 1 {
		p = p.parent
	}
	return p.elem == top
}

func newExpansion[N comparable](ops nodeOps[N]) *expansion[N] {
	return &expansion[N]{ops: ops, left: MaxNodes, active: map[N]bool{}}
}

func (x *expansion[N]) count(n N) error {
	if x.left--; x.left < 0 {
		var zero N
		where := ""
		if x.outer != zero {
			n, where = x.outer, ", this alias taking it past"
		}
		l, c := x.ops.pos(n)
		return refuse(l, c, "the document comes to more than %d YAML nodes once its aliases are expanded%s (bricklayer's limit)", MaxNodes, where)
	}
	if x.node != nil {
		return x.node(n)
	}
	return nil
}

func (x *expansion[N]) walk(n N, path *place) error {
	var zero N
	if n == zero {
		return nil
	}
	if err := x.count(n); err != nil {
		return err
	}
	switch x.ops.kind(n) {
	case aliasKind:
		outer := x.outer
		defer func() { x.outer = outer }()
		t, err := x.follow(n, path)
		if err != nil {
			return err
		}
		return x.walk(t, path)
	case mappingKind:
		return x.mapping(n, path, "node contains itself")
	case sequenceKind, documentKind:
		if x.active[n] {
			l, c := x.ops.pos(n)
			return refuse(l, c, "node contains itself")
		}
		x.active[n] = true
		defer delete(x.active, n)
		seq := x.ops.kind(n) == sequenceKind
		for i, c := range x.ops.content(n) {
			sub := path
			if seq && path != nil {
				sub = path.child(strconv.Itoa(i))
			}
			if err := x.walk(c, sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// mapping walks the pairs of mapping m at path; cycle is what a mapping
// reached again inside itself is called.
func (x *expansion[N]) mapping(m N, path *place, cycle string) error {
	if x.active[m] {
		l, c := x.ops.pos(m)
		return refuse(l, c, "%s", cycle)
	}
	x.active[m] = true
	defer delete(x.active, m)
	content := x.ops.content(m)
	for i := 0; i+1 < len(content); i += 2 {
		k, v := content[i], content[i+1]
		if err := x.count(k); err != nil {
			return err
		}
		if x.ops.isMerge(k) {
			if err := x.merged(v, path); err != nil {
				return err
			}
			continue
		}
		if x.key != nil {
			if err := x.key(k, path); err != nil {
				return err
			}
		}
		sub := path.child(x.ops.value(k))
		if err := x.walk(v, sub); err != nil {
			return err
		}
	}
	return nil
}

// merged walks the value of a merge key: a mapping, or a list of them,
// directly or through aliases, whose keys land at path.
func (x *expansion[N]) merged(v N, path *place) error {
	outer := x.outer
	defer func() { x.outer = outer }()
	if err := x.count(v); err != nil {
		return err
	}
	if x.ops.kind(v) == aliasKind {
		t, err := x.follow(v, path)
		var zero N
		if err != nil || t == zero {
			return err
		}
		if x.mergeAlias != nil {
			if err := x.mergeAlias(v, t); err != nil {
				return err
			}
		}
		v = t
	}
	switch x.ops.kind(v) {
	case mappingKind:
		return x.mapping(v, path, "mapping merges itself")
	case sequenceKind:
		for _, s := range x.ops.content(v) {
			if err := x.count(s); err != nil {
				return err
			}
			if x.ops.kind(s) == aliasKind {
				var err error
				if s, err = x.follow(s, path); err != nil {
					return err
				}
			}
			var zero N
			if s != zero && x.ops.kind(s) == mappingKind {
				if err := x.mapping(s, path, "mapping merges itself"); err != nil {
					return err
				}
				x.outer = outer
				continue
			}
			// Not a mapping: the reader says so; count what it is.
			if err := x.walk(s, path); err != nil {
				return err
			}
		}
		return nil
	}
	return x.walk(v, path)
}
