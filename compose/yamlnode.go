package compose

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// pair is a key of a mapping and its value.
type pair struct {
	key   string
	value *yaml.Node
}

// pairs is the content of mapping m as a compose reader sees it: merge keys
// (<<: *x, <<: [*a, *b]) resolved, the mapping's own keys winning over
// merged ones and earlier merged mappings over later ones, as the YAML
// merge key type says. m is of a document parse accepted, so no mapping
// merges itself and the merges are bounded.
func pairs(m *yaml.Node) ([]pair, error) {
	m = deref(m)
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
				return nil, errAt(s, "merge key value is not a mapping")
			}
			sub, err := pairs(s)
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
