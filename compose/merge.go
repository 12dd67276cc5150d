package compose

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"gopkg.in/yaml.v3"
)

// Merge takes per-architecture variants of one compose file (e.g.
// docker-compose.yml and docker-compose.rpi.yml, named in order, the first
// being the one kept) and returns the first, rewritten, if every variant is
// the same as the first once alias tags are rewritten to canonical ones;
// see MergeWith.
func Merge(files map[string][]byte, order []string, rules []Rule) (out []byte, err error) {
	r, err := MergeWith(files, order, rules)
	if err != nil {
		return nil, err
	}
	return r.Out, nil
}

// MergeResult is a merge: Out is the first file rewritten, Changes are
// its changes, Folds every per-architecture repository folded in any of
// the files, by file, and Notes what was left alone in the first.
type MergeResult struct {
	Out     []byte
	Changes []Change
	Folds   map[string][]Change
	Notes   []Note
}

// MergeWith rewrites every variant (alias tags, and the per-architecture
// repositories of Docker Official Images: arm32v6/rabbitmq is
// rabbitmq) and compares them as compose reads them (readModel,
// uninterpolated), so comments, key order, quoting, anchors, merge keys,
// short and long syntax and 1.0 against 1 may differ, and ${A} against
// ${B} may not. Otherwise the error names the first difference: the file,
// the service, the key path and the two values, with their lines. A file
// readModel refuses is named with the place of what it refuses.
func MergeWith(files map[string][]byte, order []string, rules []Rule) (*MergeResult, error) {
	if len(order) == 0 {
		return nil, fmt.Errorf("compose: merge: no files")
	}
	named := map[string]bool{}
	for _, name := range order {
		if _, ok := files[name]; !ok {
			return nil, fmt.Errorf("compose: merge: %s: no such file", name)
		}
		if named[name] {
			return nil, fmt.Errorf("compose: merge: %s is named twice", name)
		}
		named[name] = true
	}
	// A file left out of order would be silently dropped, its services
	// lost from the merged file.
	for name := range files {
		if !named[name] {
			return nil, fmt.Errorf("compose: merge: %s is not in the order", name)
		}
	}
	res := &MergeResult{Folds: map[string][]Change{}}
	var base variant
	for i, name := range order {
		v, err := rewriteVariant(name, files[name], rules)
		if err != nil {
			return nil, err
		}
		for _, c := range v.res.Changes {
			if c.Fold {
				res.Folds[name] = append(res.Folds[name], c)
			}
		}
		if i == 0 {
			base = v
			res.Out, res.Changes, res.Notes = v.res.Out, v.res.Changes, v.res.Notes
			continue
		}
		if p, ok := modelDiff(nil, base.model, v.model, sameImage); ok {
			return nil, fmt.Errorf("compose: merge: %s differs from %s beyond alias tags: %s",
				name, base.name, describe(p, base, v))
		}
	}
	return res, nil
}

// sameImage accepts two image values that name one image in other words
// (postgres:16 and docker.io/library/postgres:16, traefik and
// traefik:latest), also around a variable in the tag.
func sameImage(p diffPath, a, b any) bool {
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	if !ok1 || !ok2 || len(p) == 0 || p[len(p)-1] != "image" {
		return false
	}
	nx, okx := normalizeImage(x)
	ny, oky := normalizeImage(y)
	return okx && oky && nx == ny
}

// normalizeImage is ref with its repository normalized, the rest (a tag
// or digest, maybe interpolated) as written, and :latest when there is
// no rest: docker pulls traefik as traefik:latest. A variable is never
// taken for latest, whatever its default: its value decides.
func normalizeImage(ref string) (string, bool) {
	repo, rest := ref, ""
	if i := strings.IndexAny(ref, "@$"); i >= 0 {
		repo, rest = ref[:i], ref[i:]
	}
	if i := strings.LastIndexByte(repo, ':'); i >= 0 && !strings.Contains(repo[i:], "/") {
		repo, rest = repo[:i], repo[i:]+rest
	}
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil || !reference.IsNameOnly(named) {
		return "", false
	}
	if rest == "" {
		rest = ":latest"
	}
	return named.Name() + rest, true
}

// variant is one rewritten file: its model, and its YAML as data for
// telling where a difference is.
type variant struct {
	name  string
	res   *Result
	model map[string]any
	tree  *value
}

func rewriteVariant(name string, src []byte, rules []Rule) (variant, error) {
	res, err := RewriteWith(src, rules, Options{FoldArch: true})
	if err != nil {
		return variant{}, InFile(name, err)
	}
	docs, err := parse(res.Out)
	if err != nil {
		return variant{}, InFile(name, err)
	}
	v := variant{name: name, res: res}
	if len(docs) > 0 {
		if v.tree, err = build(docs[0]); err != nil {
			return variant{}, InFile(name, err)
		}
	}
	if v.model, err = model(res.Out, nil); err != nil {
		return variant{}, InFile(name, err)
	}
	return v, nil
}

// InFile prefixes err with the file it is about: FILE:LINE:COL: for a
// PosError, FILE: otherwise.
func InFile(name string, err error) error {
	var pe *PosError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%w", name, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// describe says where two variants differ and what they hold there, e.g.
// service "ui": services.ui.ports[0]: "80:80" (a.yml line 9) vs "8080:80" (b.yml line 9).
func describe(p diffPath, a, b variant) string {
	var sb strings.Builder
	if len(p) >= 2 && p[0] == "services" {
		fmt.Fprintf(&sb, "service %q: ", p[1])
	}
	sb.WriteString(p.String())
	fmt.Fprintf(&sb, ": %s vs %s", a.show(p), b.show(p))
	return sb.String()
}

// show is what v holds at p: the YAML as written where the path is in
// the YAML, compose's reading of it otherwise (a short syntax expanded),
// with the line it comes from.
func (v variant) show(p diffPath) string {
	m, inModel := at(v.model, p)
	node, full := v.tree.find(p)
	if full {
		return show(node, v.name)
	}
	if !inModel {
		return "missing in " + v.name
	}
	s := showModel(m)
	if node != nil {
		return fmt.Sprintf("%s (%s line %d)", s, v.name, node.line)
	}
	return fmt.Sprintf("%s (%s)", s, v.name)
}

// find is the node at p, or the deepest one on the way and false.
func (v *value) find(p diffPath) (*value, bool) {
	if v == nil {
		return nil, false
	}
	cur := v
	for _, k := range p {
		var next *value
		switch cur.kind {
		case yaml.MappingNode:
			next = cur.fields[k]
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(strings.TrimPrefix(k, "\x00")); err == nil && strings.HasPrefix(k, "\x00") && i >= 0 && i < len(cur.items) {
				next = cur.items[i]
			}
		}
		if next == nil {
			return cur, false
		}
		cur = next
	}
	return cur, true
}

// value is a YAML node as data: aliases and merge keys resolved, scalars
// decoded (so 80, 0x50 and !!int 80 are the same), mapping keys kept in
// the order they are written so the first difference is the first a
// reader meets.
type value struct {
	kind   yaml.Kind
	scalar any    // decoded scalar
	text   string // the scalar as written, for messages
	keys   []string
	fields map[string]*value
	items  []*value
	line   int
}

// build is the value of n, a node of a document parse accepted: with no
// node holding itself, and at most MaxNodes nodes once expanded.
func build(n *yaml.Node) (*value, error) {
	n = deref(n)
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return &value{kind: yaml.ScalarNode, line: n.Line}, nil
		}
		return build(n.Content[0])
	}
	v := &value{kind: n.Kind, line: n.Line}
	switch n.Kind {
	case yaml.ScalarNode:
		v.text = n.Value
		if err := n.Decode(&v.scalar); err != nil {
			return nil, errAt(n, "%v", err)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			cv, err := build(c)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, cv)
		}
	case yaml.MappingNode:
		ps, err := pairs(n)
		if err != nil {
			return nil, err
		}
		v.fields = map[string]*value{}
		for _, p := range ps {
			cv, err := build(p.value)
			if err != nil {
				return nil, err
			}
			v.keys = append(v.keys, p.key)
			v.fields[p.key] = cv
		}
	}
	return v, nil
}

func show(v *value, file string) string {
	if v == nil {
		return "missing in " + file
	}
	var s string
	switch v.kind {
	case yaml.MappingNode:
		s = fmt.Sprintf("a mapping of %d keys", len(v.keys))
	case yaml.SequenceNode:
		s = fmt.Sprintf("a list of %d items", len(v.items))
	default:
		switch v.scalar.(type) {
		case string:
			s = strconv.Quote(v.text)
		case nil:
			s = "null"
		default:
			s = v.text
		}
	}
	return fmt.Sprintf("%s (%s line %d)", s, file, v.line)
}
