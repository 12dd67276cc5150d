package workflowscan

import (
	"fmt"
	"slices"
	"strings"
)

// bakeBlock is a variable, group, target or function block of a bake
// file: its name, and its attributes in the order they are written.
type bakeBlock struct {
	typ, name string
	line      int
	attrs     []*hclAttr
}

// attr is the block's attribute name, or nil.
func (b *bakeBlock) attr(name string) *hclAttr {
	for _, a := range b.attrs {
		if a.name == name {
			return a
		}
	}
	return nil
}

// bakeContent is what a bake file defines, with what of it is not read
// (a block without its one name), as bake reports them.
type bakeContent struct {
	blocks []*bakeBlock
	diags  []*hclError
}

// bakeBlockTypes are the blocks bake reads; others are ignored, as are
// attributes outside blocks and blocks inside blocks.
var bakeBlockTypes = []string{"variable", "group", "target", "function"}

// readBakeFile parses a bake file, in JSON when its name says so.
func readBakeFile(name string, src []byte) (*bakeContent, *hclError) {
	if strings.HasSuffix(name, ".json") {
		root, err := parseJSON(src)
		if err != nil {
			return nil, err
		}
		return jsonContent(root), nil
	}
	body, err := parseHCL(src)
	if err != nil {
		return nil, err
	}
	return hclContent(body), nil
}

// hclContent takes the blocks bake reads from a file's body.
func hclContent(body *hclBody) *bakeContent {
	c := &bakeContent{}
	for _, b := range body.blocks {
		if !slices.Contains(bakeBlockTypes, b.typ) {
			continue
		}
		switch {
		case len(b.labels) > 1:
			c.diags = append(c.diags, errAt(b.labelLines[1], "Extraneous label for "+b.typ,
				fmt.Sprintf("Only 1 labels (name) are expected for %s blocks.", b.typ)))
		case len(b.labels) == 0:
			c.diags = append(c.diags, errAt(b.braceLine, "Missing name for "+b.typ,
				fmt.Sprintf("All %s blocks must have 1 labels (name).", b.typ)))
		default:
			c.blocks = append(c.blocks, &bakeBlock{typ: b.typ, name: b.labels[0], line: b.line, attrs: b.body.attrs})
		}
	}
	return c
}
