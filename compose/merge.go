package compose

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Merge takes per-architecture variants of one compose file (e.g.
// docker-compose.yml and docker-compose.rpi.yml, named in order, the first
// being the one kept) and returns the first, rewritten, if every variant is
// the same as the first once alias tags are rewritten to canonical ones.
// Variants are compared as YAML data: comments, key order, quoting, anchors
// and merge keys may differ. Otherwise the error names the first
// difference: the file, the service, the key path and the two values.
func Merge(files map[string][]byte, order []string, rules []Rule) (out []byte, err error) {
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
	first := order[0]
	out, base, err := rewriteTree(first, files[first], rules)
	if err != nil {
		return nil, err
	}
	for _, name := range order[1:] {
		_, other, err := rewriteTree(name, files[name], rules)
		if err != nil {
			return nil, err
		}
		if len(other) != len(base) {
			return nil, fmt.Errorf("compose: merge: %s has %d documents, %s has %d", name, len(other), first, len(base))
		}
		for i := range base {
			if d := compare(nil, base[i], other[i]); d != nil {
				where := ""
				if len(base) > 1 {
					where = fmt.Sprintf("document %d: ", i+1)
				}
				return nil, fmt.Errorf("compose: merge: %s differs from %s beyond alias tags: %s%s",
					name, first, where, d.describe(first, name))
			}
		}
	}
	return out, nil
}

// rewriteTree rewrites src and decodes the result for comparison.
func rewriteTree(name string, src []byte, rules []Rule) ([]byte, []*value, error) {
	out, _, err := Rewrite(src, rules)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	docs, err := parse(out)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	var vals []*value
	for _, d := range docs {
		v, err := build(d, map[*yaml.Node]bool{})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		vals = append(vals, v)
	}
	return out, vals, nil
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

func build(n *yaml.Node, visiting map[*yaml.Node]bool) (*value, error) {
	n = deref(n)
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return &value{kind: yaml.ScalarNode, line: n.Line}, nil
		}
		return build(n.Content[0], visiting)
	}
	// An anchor may hold an alias of itself (&a [*a]); yaml.v3 accepts
	// that in a Node tree.
	if visiting[n] {
		return nil, fmt.Errorf("compose: line %d: node contains itself", n.Line)
	}
	visiting[n] = true
	defer delete(visiting, n)
	v := &value{kind: n.Kind, line: n.Line}
	switch n.Kind {
	case yaml.ScalarNode:
		v.text = n.Value
		if err := n.Decode(&v.scalar); err != nil {
			return nil, fmt.Errorf("compose: line %d: %w", n.Line, err)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			cv, err := build(c, visiting)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, cv)
		}
	case yaml.MappingNode:
		ps, err := mergedPairs(n, map[*yaml.Node]bool{})
		if err != nil {
			return nil, err
		}
		v.fields = map[string]*value{}
		for _, p := range ps {
			cv, err := build(p.value, visiting)
			if err != nil {
				return nil, err
			}
			v.keys = append(v.keys, p.key)
			v.fields[p.key] = cv
		}
	}
	return v, nil
}

// mismatch is where two values differ; a or b is nil where one of them
// lacks the key or item. A path element is a mapping key, or a sequence
// index after a NUL byte, which no key of a compose file holds.
type mismatch struct {
	path []string
	a, b *value
}

func compare(path []string, a, b *value) *mismatch {
	if a.kind != b.kind {
		return &mismatch{path, a, b}
	}
	switch a.kind {
	case yaml.ScalarNode:
		if !reflect.DeepEqual(a.scalar, b.scalar) {
			return &mismatch{path, a, b}
		}
	case yaml.SequenceNode:
		for i := 0; i < len(a.items) || i < len(b.items); i++ {
			p := append(path[:len(path):len(path)], "\x00"+strconv.Itoa(i))
			if i >= len(a.items) {
				return &mismatch{p, nil, b.items[i]}
			}
			if i >= len(b.items) {
				return &mismatch{p, a.items[i], nil}
			}
			if d := compare(p, a.items[i], b.items[i]); d != nil {
				return d
			}
		}
	case yaml.MappingNode:
		for _, k := range a.keys {
			p := append(path[:len(path):len(path)], k)
			bv, ok := b.fields[k]
			if !ok {
				return &mismatch{p, a.fields[k], nil}
			}
			if d := compare(p, a.fields[k], bv); d != nil {
				return d
			}
		}
		for _, k := range b.keys {
			if _, ok := a.fields[k]; !ok {
				return &mismatch{append(path[:len(path):len(path)], k), nil, b.fields[k]}
			}
		}
	}
	return nil
}

// describe says where the values differ and what they are, e.g.
// service "ui": services.ui.ports[0]: "80:80" (a.yml line 9) vs "8080:80" (b.yml line 9).
func (m *mismatch) describe(aName, bName string) string {
	var sb strings.Builder
	p := m.path
	if len(p) >= 2 && p[0] == "services" {
		fmt.Fprintf(&sb, "service %q: ", p[1])
	}
	sb.WriteString(formatPath(p))
	fmt.Fprintf(&sb, ": %s vs %s", show(m.a, aName), show(m.b, bName))
	return sb.String()
}

// formatPath joins keys with dots; a key that would read ambiguously
// (holding a dot, a bracket or a space) is quoted.
func formatPath(p []string) string {
	if len(p) == 0 {
		return "(document)"
	}
	var sb strings.Builder
	for i, k := range p {
		switch {
		case strings.HasPrefix(k, "\x00"):
			sb.WriteString("[" + k[1:] + "]")
		case k == "" || strings.ContainsAny(k, ".[] "):
			if i > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(strconv.Quote(k))
		default:
			if i > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(k)
		}
	}
	return sb.String()
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
