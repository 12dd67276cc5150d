// Adapted from compose-go v2.16.2's loader package
// (github.com/compose-spec/compose-go/v2/loader: reset.go, aliases.go):
//
//	Copyright 2020 The Compose Specification Authors.
//
//	Licensed under the Apache License, Version 2.0 (the "License");
//	you may not use this file except in compliance with the License.
//	You may obtain a copy of the License at
//
//	    http://www.apache.org/licenses/LICENSE-2.0
//
//	Unless required by applicable law or agreed to in writing, software
//	distributed under the License is distributed on an "AS IS" BASIS,
//	WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
//	See the License for the specific language governing permissions and
//	limitations under the License.

package compose

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/override"
	"github.com/compose-spec/compose-go/v2/tree"
	yaml4 "go.yaml.in/yaml/v4"
)

// maxNodeVisits bounds the nodes a document may make resetProcessor
// visit (aliases are visited where used), as compose-go does by default.
const maxNodeVisits = 100_000

// resetProcessor decodes a document into target without the nodes tagged
// !reset, and records the paths of those and of the ones tagged !override:
// apply then deletes them from what earlier documents loaded.
type resetProcessor struct {
	target   any
	aliases  *extensionAliases
	paths    []tree.Path
	visited  map[*yaml4.Node][]tree.Path
	resolved map[*yaml4.Node]resolvedNode
	visits   int
	// active are the containers being resolved, by path.
	active map[*yaml4.Node]tree.Path
}

// resolvedNode is a container resolved once, with the paths below it
// (relative to it) that carried !reset or !override, replayed wherever it
// is used again.
type resolvedNode struct {
	node  *yaml4.Node
	paths []tree.Path
}

func (p *resetProcessor) UnmarshalYAML(value *yaml4.Node) error {
	p.visited = map[*yaml4.Node][]tree.Path{}
	p.resolved = map[*yaml4.Node]resolvedNode{}
	p.active = map[*yaml4.Node]tree.Path{}
	p.visits = 0
	defer func() { p.visited, p.resolved, p.active = nil, nil, nil }()
	resolved, err := p.resolve(value, tree.NewPath())
	if err != nil {
		return err
	}
	if resolved == nil {
		// compose-go dereferences nil here and panics.
		return fmt.Errorf("the whole document is tagged !reset")
	}
	// Earlier documents hold an extension such as x-develop under the
	// attribute it stands for once promoted: reset that too.
	for _, path := range p.paths {
		if to := p.aliases.resolvePath(path); to != path {
			p.paths = append(p.paths, to)
		}
	}
	return resolved.Decode(p.target)
}

func (p *resetProcessor) resolve(node *yaml4.Node, path tree.Path) (*yaml4.Node, error) {
	p.visits++
	if p.visits > maxNodeVisits {
		return nil, fmt.Errorf("compose file exceeds maximum node visit limit (%d)", maxNodeVisits)
	}
	// A key merged in with << counts where it lands. As in compose-go, the
	// path is rebuilt from its String, which un-escapes dots in keys.
	if s := path.String(); strings.Contains(s, ".<<") {
		path = tree.NewPath(strings.Replace(s, ".<<", "", 1))
	}
	switch node.Tag {
	case "!reset":
		p.paths = append(p.paths, path)
		return nil, nil
	case "!override":
		p.paths = append(p.paths, path)
		return node, nil
	}
	switch node.Kind {
	case yaml4.AliasNode:
		if err := p.checkCycle(node.Alias, path); err != nil {
			return nil, err
		}
		switch node.Alias.Tag {
		case "!reset":
			p.paths = append(p.paths, path)
			return nil, nil
		case "!override":
			p.paths = append(p.paths, path)
			return node.Alias, nil
		}
		// An alias inside the node it names (under a merge key, which
		// checkCycle lets by) makes compose-go recurse until its visit
		// limit, for seconds on a line of YAML: it fails either way, so
		// fail now.
		if at, ok := p.active[node.Alias]; ok {
			return nil, fmt.Errorf("cycle detected: alias at path %s names the node at path %s that holds it", path.String(), at.String())
		}
		return p.cachedResolve(node.Alias, path)
	case yaml4.SequenceNode, yaml4.MappingNode:
		return p.cachedResolve(node, path)
	}
	return node, nil
}

func (p *resetProcessor) cachedResolve(node *yaml4.Node, path tree.Path) (*yaml4.Node, error) {
	if c, ok := p.resolved[node]; ok {
		for _, rel := range c.paths {
			p.paths = append(p.paths, joinPath(path, rel))
		}
		return c.node, nil
	}
	start := len(p.paths)
	p.active[node] = path
	resolved, err := p.resolveContainer(node, path)
	delete(p.active, node)
	if err != nil {
		return nil, err
	}
	var rels []tree.Path
	for _, added := range p.paths[start:] {
		rel, err := subPath(added, path)
		if err != nil {
			return nil, err
		}
		rels = append(rels, rel)
	}
	p.resolved[node] = resolvedNode{node: resolved, paths: rels}
	return resolved, nil
}

// resolveContainer drops the !reset children of a sequence or mapping.
// Aliases stay aliases, but for the value of a merge key <<, which the
// YAML library takes only as an alias of a mapping, not of a sequence.
func (p *resetProcessor) resolveContainer(node *yaml4.Node, path tree.Path) (*yaml4.Node, error) {
	switch node.Kind {
	case yaml4.SequenceNode:
		var nodes []*yaml4.Node
		for i, v := range node.Content {
			resolved, err := p.resolve(v, path.Next(strconv.Itoa(i)))
			if err != nil {
				return nil, err
			}
			switch {
			case resolved == nil:
			case v.Kind == yaml4.AliasNode:
				nodes = append(nodes, v)
			default:
				nodes = append(nodes, resolved)
			}
		}
		node.Content = nodes
	case yaml4.MappingNode:
		var nodes []*yaml4.Node
		lines := map[string]int{}
		var key string
		for i, v := range node.Content {
			if i%2 == 0 {
				key = v.Value
				if line, seen := lines[key]; seen {
					return nil, fmt.Errorf("line %d: mapping key %#v already defined at line %d", v.Line, key, line)
				}
				lines[key] = v.Line
				continue
			}
			resolved, err := p.resolve(v, path.Next(key))
			if err != nil {
				return nil, err
			}
			switch {
			case resolved == nil:
			case v.Kind == yaml4.AliasNode && key != "<<":
				nodes = append(nodes, node.Content[i-1], v)
			default:
				nodes = append(nodes, node.Content[i-1], resolved)
			}
		}
		node.Content = nodes
	}
	return node, nil
}

// subPath is full relative to base ("" when they are the same).
func subPath(full, base tree.Path) (tree.Path, error) {
	switch {
	case base == "":
		return full, nil
	case full == base:
		return "", nil
	}
	if rel, ok := strings.CutPrefix(string(full), string(base)+"."); ok {
		return tree.Path(rel), nil
	}
	return "", fmt.Errorf("internal error: path %q is not a sub-path of %q", string(full), string(base))
}

// joinPath is rel below base.
func joinPath(base, rel tree.Path) tree.Path {
	switch {
	case rel == "":
		return base
	case base == "":
		return rel
	}
	return base + "." + rel
}

// apply deletes from target what the recorded paths match; a list item
// is left, as compose-go does not remove those.
func (p *resetProcessor) apply(target any, path tree.Path) {
	switch v := target.(type) {
	case map[string]any:
		for k, e := range v {
			next := path.Next(k)
			if p.matches(next) {
				delete(v, k)
				continue
			}
			p.apply(e, next)
		}
	case []any:
		for i, e := range v {
			next := path.Next(fmt.Sprintf("[%d]", i))
			if !p.matches(next) {
				p.apply(e, next)
			}
		}
	}
}

func (p *resetProcessor) matches(path tree.Path) bool {
	for _, pattern := range p.paths {
		if path.Matches(pattern) {
			return true
		}
	}
	return false
}

// checkCycle fails when an alias is used inside the node it names (but
// for merge keys, and uses in different services).
func (p *resetProcessor) checkCycle(node *yaml4.Node, path tree.Path) error {
	paths := p.visited[node]
	for _, prev := range paths {
		s, ps := string(path), string(prev)
		if path == prev || strings.Contains(ps, "<<") || strings.Contains(s, "<<") {
			continue
		}
		if (strings.HasPrefix(s, ps+".") || strings.HasPrefix(ps, s+".")) && !inDifferentServices(path, prev) {
			return fmt.Errorf("cycle detected: node at path %s references node at path %s", path.String(), prev.String())
		}
	}
	p.visited[node] = append(paths, path)
	return nil
}

func inDifferentServices(a, b tree.Path) bool {
	pa, pb := a.Parts(), b.Parts()
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] == "services" && i+1 < len(pa) && pb[i] == "services" && i+1 < len(pb) {
			return pa[i+1] != pb[i+1]
		}
	}
	return false
}

// extensionAliases are the x- extensions compose used for attributes
// before they were adopted: x-develop for develop, x-initialSync for
// initial_sync, outermost first.
type extensionAliases struct {
	list    []extensionAlias
	parents *tree.Matcher
}

type extensionAlias struct {
	parent   tree.Path // of the mapping holding the attribute
	from, to string
}

func newExtensionAliases() *extensionAliases {
	a := &extensionAliases{list: []extensionAlias{
		{parent: "services.*", from: "x-develop", to: "develop"},
		{parent: "services.*.develop.watch.[]", from: "x-initialSync", to: "initial_sync"},
	}}
	var parents []tree.Path
	for _, e := range a.list {
		parents = append(parents, e.parent)
	}
	a.parents = tree.NewMatcher(parents...)
	return a
}

// promote renames the extensions in value (at p) to their attribute; one
// set both ways is merged, the attribute winning.
func (a *extensionAliases) promote(value any, p tree.Path) error {
	switch v := value.(type) {
	case map[string]any:
		for _, alias := range a.list {
			ext, ok := v[alias.from]
			if !ok || !p.Matches(alias.parent) {
				continue
			}
			delete(v, alias.from)
			if v[alias.to] == nil {
				v[alias.to] = ext
				continue
			}
			merged, err := override.MergeYaml(deepClone(ext), v[alias.to], p.Next(alias.to))
			if err != nil {
				return err
			}
			v[alias.to] = merged
		}
		for key, e := range v {
			if next := p.Next(key); a.parents.Matches(next) || a.parents.MayContain(next) {
				if err := a.promote(e, next); err != nil {
					return err
				}
			}
		}
	case []any:
		if next := p.Next(tree.PathMatchList); a.parents.Matches(next) || a.parents.MayContain(next) {
			for _, e := range v {
				if err := a.promote(e, next); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// resolvePath is path with each extension named as its attribute (list
// indexes in path standing for [] in the parents).
func (a *extensionAliases) resolvePath(path tree.Path) tree.Path {
	parts := path.Parts()
	for _, alias := range a.list {
		depth := len(alias.parent.Parts())
		if len(parts) <= depth || parts[depth] != alias.from {
			continue
		}
		items := make([]string, depth)
		for i, part := range parts[:depth] {
			items[i] = part
			if _, err := strconv.Atoi(part); err == nil {
				items[i] = tree.PathMatchList
			}
		}
		if tree.NewPath(items...).Matches(alias.parent) {
			parts[depth] = alias.to
		}
	}
	return tree.NewPath(parts...)
}
