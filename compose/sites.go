package compose

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// parse decodes every document of src, refusing one that holds itself or
// comes to more than MaxNodes nodes once its aliases are expanded: every
// walk of the trees it returns (image sites, merge keys, the values Merge
// compares) is bounded by that.
func parse(src []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, syntaxError(src, err)
		}
		if err := newExpansion(v3Ops).walk(&doc, nil); err != nil {
			return nil, err
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
		return nil, errAt(root, "the document is not a mapping")
	}
	top, err := pairs(root)
	if err != nil {
		return nil, err
	}
	var extension []*yaml.Node
	paths := definitionPaths(root)
	seen := map[*yaml.Node]bool{}
	var sites []site
	add := func(img *yaml.Node, name string) {
		if !seen[img] {
			seen[img] = true
			sites = append(sites, site{node: img, service: name})
		}
	}
	services := lookup(top, "services")
	if services != nil && !isNull(services) {
		if services.Kind != yaml.MappingNode {
			return nil, errAt(services, "services is not a mapping")
		}
		svcs, err := pairs(services)
		if err != nil {
			return nil, err
		}
		for _, svc := range svcs {
			body := deref(svc.value)
			if isNull(body) {
				continue
			}
			if body.Kind != yaml.MappingNode {
				return nil, errAt(body, "service %q is not a mapping", svc.key)
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
				return nil, errAt(img, "image of service %q is not a string", svc.key)
			}
			// Report the service by name when the image is its own; a
			// shared one by where it is defined, since that is the line
			// that changes.
			name := svc.key
			if p := paths[img]; !slices.Equal(p, []string{"services", svc.key, "image"}) {
				name = strings.Join(p, ".")
			}
			add(img, name)
		}
	}
	// Extension fields (x-...), at the top and in services, hold what
	// their authors make of them; an image: string in them is taken for
	// an image, wherever it is nested.
	for n, p := range paths {
		if len(p) == 0 || p[len(p)-1] != "image" || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			continue
		}
		for _, k := range p[:len(p)-1] {
			if strings.HasPrefix(k, "x-") {
				extension = append(extension, n)
				break
			}
		}
	}
	sort.Slice(extension, func(i, j int) bool {
		a, b := extension[i], extension[j]
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	for _, n := range extension {
		add(n, strings.Join(paths[n], "."))
	}
	return sites, nil
}
