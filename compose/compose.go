// Package compose moves docker-compose files off deprecated alias tags.
//
// Images published under per-architecture alias tags (brewblox/ui:rpi-edge)
// are also published under one canonical multi-platform tag
// (brewblox/ui:edge). Rewrite changes the image references of a compose
// file from the former to the latter; Merge folds per-architecture variants
// of one compose file into one; Diff shows what changed.
//
// Rewrite edits the file's bytes, not a re-encoded YAML tree: yaml.v3's
// encoder re-indents, re-quotes and moves comments, and a file that users
// maintain by hand must come back as they wrote it. The yaml.v3 Node tree
// only finds the image scalars; their new text is spliced into the source at
// the nodes' positions, and every other byte is kept.
package compose

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"gopkg.in/yaml.v3"
)

// Rule maps the alias tags of one repository back to canonical tags.
type Rule struct {
	Repository string  // normalized, e.g. docker.io/brewblox/ui or ghcr.io/acme/api
	Aliases    []Alias // prefix/suffix pairs
}

// Alias is a deprecated form of every tag: Prefix+tag+Suffix
// (see spec.Alias).
type Alias struct{ Prefix, Suffix string }

// Change is one rewritten reference.
type Change struct {
	Service  string // the compose service name (services.<name>.image), or the YAML path
	Line     int    // 1-based line of the image value in the input
	From, To string // the references as written, e.g. brewblox/ui:rpi-edge -> brewblox/ui:edge
}

// Rewrite returns src with every `image:` value of every service whose
// repository (normalized with reference.ParseNormalizedNamed) matches a rule
// and whose tag is an alias (has the prefix and suffix, and something left
// in between) replaced by the canonical tag; the repository is kept as the
// user wrote it (brewblox/ui stays brewblox/ui). Images pinned by digest,
// without a tag, with interpolation ($TAG, ${TAG}), or of other repositories
// are left alone, and so is every other byte of src: comments, blank lines,
// key order, quoting style, anchors, aliases and merge keys. An image that
// several services share through an anchor is rewritten once, at the anchor,
// and its Change names the anchor's YAML path.
//
// When nothing changes, out is src itself. Changes are in source order.
func Rewrite(src []byte, rules []Rule) (out []byte, changes []Change, err error) {
	repos, err := compileRules(rules)
	if err != nil {
		return nil, nil, err
	}
	docs, err := parse(src)
	if err != nil {
		return nil, nil, err
	}
	lines := lineStarts(src)
	var edits []edit
	for _, doc := range docs {
		sites, err := imageSites(doc)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range sites {
			to, ok := canonical(s.node.Value, repos)
			if !ok {
				continue
			}
			e, err := spliceScalar(src, lines, s.node, to)
			if err != nil {
				return nil, nil, err
			}
			edits = append(edits, e)
			changes = append(changes, Change{
				Service: s.service,
				Line:    lineOf(lines, e.start),
				From:    s.node.Value,
				To:      to,
			})
		}
	}
	if len(edits) == 0 {
		return src, nil, nil
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].Line < changes[j].Line })
	var b bytes.Buffer
	last := 0
	for _, e := range edits {
		if e.start < last {
			// Sites are deduplicated by node, so two edits of one span
			// would mean two nodes claim the same bytes: a bug, not input.
			return nil, nil, fmt.Errorf("compose: overlapping edits at line %d", lineOf(lines, e.start))
		}
		b.Write(src[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(src[last:])
	return b.Bytes(), changes, nil
}

// compileRules indexes the rules by normalized repository, so that a rule
// written in familiar form (brewblox/ui) still matches.
func compileRules(rules []Rule) (map[string][]Alias, error) {
	repos := make(map[string][]Alias, len(rules))
	for i, r := range rules {
		named, err := reference.ParseNormalizedNamed(r.Repository)
		if err != nil {
			return nil, fmt.Errorf("compose: rule %d: repository %q: %w", i, r.Repository, err)
		}
		if !reference.IsNameOnly(named) {
			return nil, fmt.Errorf("compose: rule %d: repository %q has a tag or digest", i, r.Repository)
		}
		repos[named.Name()] = append(repos[named.Name()], r.Aliases...)
	}
	return repos, nil
}

// canonical is the reference value with its alias tag replaced by the
// canonical tag, keeping the repository as written; ok is false when value
// is not an alias reference of a rule's repository.
func canonical(value string, repos map[string][]Alias) (to string, ok bool) {
	// Interpolated values are resolved by compose at run time: what the
	// tag will be is not ours to guess.
	if strings.Contains(value, "$") {
		return "", false
	}
	named, err := reference.ParseNormalizedNamed(value)
	if err != nil {
		return "", false
	}
	// A digest pins the content; rewriting the tag beside it would change
	// nothing that is pulled and only mislead the reader.
	if _, pinned := named.(reference.Digested); pinned {
		return "", false
	}
	tagged, isTagged := named.(reference.Tagged)
	if !isTagged {
		return "", false
	}
	aliases, found := repos[named.Name()]
	if !found {
		return "", false
	}
	tag := tagged.Tag()
	best := -1
	for i, a := range aliases {
		if a.Prefix == "" && a.Suffix == "" {
			continue // the identity alias maps every tag to itself
		}
		if len(tag) <= len(a.Prefix)+len(a.Suffix) ||
			!strings.HasPrefix(tag, a.Prefix) || !strings.HasSuffix(tag, a.Suffix) {
			continue
		}
		// With several matching aliases (rpi- and rpi-arm-), the most
		// specific one is the one the tag was published under.
		if best < 0 || len(a.Prefix)+len(a.Suffix) > len(aliases[best].Prefix)+len(aliases[best].Suffix) {
			best = i
		}
	}
	if best < 0 || !strings.HasSuffix(value, ":"+tag) {
		return "", false
	}
	a := aliases[best]
	canon := tag[len(a.Prefix) : len(tag)-len(a.Suffix)]
	// rpi--x would leave -x, which is no tag at all.
	if _, err := reference.WithTag(reference.TrimNamed(named), canon); err != nil {
		return "", false
	}
	return value[:len(value)-len(tag)] + canon, true
}

// parse decodes every document of src.
func parse(src []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			// yaml.v3's messages already say "line N".
			return nil, fmt.Errorf("compose: parsing YAML: %w", err)
		}
		docs = append(docs, &doc)
	}
}

// site is an image scalar and the name it is reported under.
type site struct {
	node    *yaml.Node
	service string
}

// imageSites finds the image scalars of the services of doc, each once even
// when several services reach it through aliases or merge keys.
func imageSites(doc *yaml.Node) ([]site, error) {
	root := deref(doc)
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		root = deref(root.Content[0])
	}
	if isNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("compose: line %d: the document is not a mapping", root.Line)
	}
	top, err := pairs(root)
	if err != nil {
		return nil, err
	}
	services := lookup(top, "services")
	if services == nil || isNull(services) {
		return nil, nil
	}
	if services.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("compose: line %d: services is not a mapping", services.Line)
	}
	svcs, err := pairs(services)
	if err != nil {
		return nil, err
	}
	paths := definitionPaths(root)
	seen := map[*yaml.Node]bool{}
	var sites []site
	for _, svc := range svcs {
		body := deref(svc.value)
		if isNull(body) {
			continue
		}
		if body.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("compose: line %d: service %q is not a mapping", body.Line, svc.key)
		}
		fields, err := pairs(body)
		if err != nil {
			return nil, err
		}
		img := lookup(fields, "image")
		if img == nil || isNull(img) {
			continue
		}
		if img.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("compose: line %d: image of service %q is not a string", img.Line, svc.key)
		}
		if seen[img] {
			continue
		}
		seen[img] = true
		// Report the service by name when the image is its own; a shared
		// one by where it is defined, since that is the line that changes.
		name := svc.key
		if p := paths[img]; !slices.Equal(p, []string{"services", svc.key, "image"}) {
			name = strings.Join(p, ".")
		}
		sites = append(sites, site{node: img, service: name})
	}
	return sites, nil
}

// pair is a key of a mapping and its value.
type pair struct {
	key   string
	value *yaml.Node
}

// pairs is the content of mapping m as a compose reader sees it: merge keys
// (<<: *x, <<: [*a, *b]) resolved, the mapping's own keys winning over
// merged ones and earlier merged mappings over later ones, as the YAML
// merge key type says.
func pairs(m *yaml.Node) ([]pair, error) {
	return mergedPairs(deref(m), map[*yaml.Node]bool{})
}

func mergedPairs(m *yaml.Node, visiting map[*yaml.Node]bool) ([]pair, error) {
	// yaml.v3 registers an anchor before its content, so &a {<<: *a}
	// parses into a cycle.
	if visiting[m] {
		return nil, fmt.Errorf("compose: line %d: mapping merges itself", m.Line)
	}
	visiting[m] = true
	defer delete(visiting, m)
	var out []pair
	seen := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key := deref(k).Value
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, pair{key, v})
	}
	for _, mv := range merges {
		mv = deref(mv)
		sources := []*yaml.Node{mv}
		if mv.Kind == yaml.SequenceNode {
			sources = mv.Content
		}
		for _, s := range sources {
			s = deref(s)
			if s.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("compose: line %d: merge key value is not a mapping", s.Line)
			}
			sub, err := mergedPairs(s, visiting)
			if err != nil {
				return nil, err
			}
			for _, p := range sub {
				if !seen[p.key] {
					seen[p.key] = true
					out = append(out, p)
				}
			}
		}
	}
	return out, nil
}

// lookup is the dereferenced value of key, or nil.
func lookup(ps []pair, key string) *yaml.Node {
	for _, p := range ps {
		if p.key == key {
			return deref(p.value)
		}
	}
	return nil
}

// deref follows aliases to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// definitionPaths maps every node to the key path where it is written,
// without following aliases: the path of a shared node is its anchor's.
func definitionPaths(root *yaml.Node) map[*yaml.Node][]string {
	paths := map[*yaml.Node][]string{}
	var walk func(n *yaml.Node, path []string)
	walk = func(n *yaml.Node, path []string) {
		if n.Kind == yaml.AliasNode {
			return
		}
		paths[n] = path
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], append(path[:len(path):len(path)], n.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, append(path[:len(path):len(path)], fmt.Sprintf("%d", i)))
			}
		}
	}
	walk(root, nil)
	return paths
}
