package workflowscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"
)

// A bake file in JSON follows HCL's JSON syntax (hashicorp/hcl,
// json/spec.md): objects nest a block's type and name, an array gives
// several; strings are templates where bake evaluates expressions, and
// literal text in a variable's default.

// jnode is a JSON value with the line it begins on.
type jnode struct {
	kind  kind // kObject for an object, kList for an array
	line  int
	s     string // a string, or a number or bool as written
	props []jprop
	elems []*jnode
}

// jprop is an object's property; a name may come twice.
type jprop struct {
	name string
	line int
	val  *jnode
}

// jsonReader reads tokens with their lines.
type jsonReader struct {
	dec   *json.Decoder
	lines []int // offsets of the newlines
}

func (r *jsonReader) line() int {
	off := int(r.dec.InputOffset()) - 1 // the last byte of the token read
	n, _ := slices.BinarySearch(r.lines, off)
	return n + 1
}

// parseJSON reads a JSON bake file, whose root is an object or an array.
func parseJSON(src []byte) (*jnode, *hclError) {
	r := &jsonReader{dec: json.NewDecoder(bytes.NewReader(src))}
	for i, c := range src {
		if c == '\n' {
			r.lines = append(r.lines, i)
		}
	}
	lineOf := func(i int) int {
		n, _ := slices.BinarySearch(r.lines, i)
		return n + 1
	}
	if !utf8.Valid(src) {
		return nil, errAt(1, "Invalid JSON", "All input files must be UTF-8 encoded.")
	}
	if line, ok := joinsQuote(src); ok {
		return nil, errAt(line, "Unsupported JSON", "a Unicode prepended concatenation mark stands before a quote or backslash, which bake reads differently from JSON.")
	}
	// Unmarshal checks the whole input, and says where it fails.
	var raw json.RawMessage
	if err := json.Unmarshal(src, &raw); err != nil {
		line := 1
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line = lineOf(int(se.Offset) - 1)
		}
		return nil, errAt(line, "Invalid JSON", err.Error())
	}
	r.dec.UseNumber()
	root, err := r.value(0)
	if err != nil {
		return nil, errAt(r.line(), "Invalid JSON", err.Error())
	}
	if root.kind != kObject && root.kind != kList {
		return nil, errAt(root.line, "Root value must be object", "The root value in a JSON-based configuration must be either a JSON object or a JSON array of objects.")
	}
	return root, nil
}

// value reads one value.
func (r *jsonReader) value(depth int) (*jnode, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d deep", maxDepth)
	}
	tok, err := r.dec.Token()
	if err != nil {
		return nil, err
	}
	n := &jnode{line: r.line()}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			n.kind = kList
			for r.dec.More() {
				e, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, e)
			}
		} else {
			n.kind = kObject
			for r.dec.More() {
				k, err := r.dec.Token()
				if err != nil {
					return nil, err
				}
				p := jprop{name: k.(string), line: r.line()}
				if p.val, err = r.value(depth + 1); err != nil {
					return nil, err
				}
				n.props = append(n.props, p)
			}
		}
		_, err = r.dec.Token() // the closing ] or }
		return n, err
	case string:
		n.kind, n.s = kString, t
	case json.Number:
		n.kind, n.s = kNumber, string(t)
	case bool:
		n.kind = kBool
		n.s = boolVal(t).s
	case nil:
		n.kind = kNull
	}
	return n, nil
}

// joinsQuote finds a character HCL's JSON scanner joins with the quote
// or backslash after it (Unicode's grapheme Prepend class), so that it
// reads a string's end differently from JSON.
func joinsQuote(src []byte) (line int, ok bool) {
	line = 1
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == '\n' {
			line++
		}
		if i+n < len(src) && (src[i+n] == '"' || src[i+n] == '\\') && unicode.Is(prepend, r) {
			return line, true
		}
		i += n
	}
	return 0, false
}

// prepend is Unicode 15's Grapheme_Cluster_Break=Prepend.
var prepend = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x600, Hi: 0x605, Stride: 1}, {Lo: 0x6dd, Hi: 0x6dd, Stride: 1}, {Lo: 0x70f, Hi: 0x70f, Stride: 1},
		{Lo: 0x890, Hi: 0x891, Stride: 1}, {Lo: 0x8e2, Hi: 0x8e2, Stride: 1}, {Lo: 0xd4e, Hi: 0xd4e, Stride: 1},
	},
	R32: []unicode.Range32{
		{Lo: 0x110bd, Hi: 0x110bd, Stride: 1}, {Lo: 0x110cd, Hi: 0x110cd, Stride: 1}, {Lo: 0x111c2, Hi: 0x111c3, Stride: 1},
		{Lo: 0x1193f, Hi: 0x1193f, Stride: 1}, {Lo: 0x11941, Hi: 0x11941, Stride: 1}, {Lo: 0x11a3a, Hi: 0x11a3a, Stride: 1},
		{Lo: 0x11a84, Hi: 0x11a89, Stride: 1}, {Lo: 0x11d46, Hi: 0x11d46, Stride: 1}, {Lo: 0x11f02, Hi: 0x11f02, Stride: 1},
	},
}

// jsonContent takes the blocks bake reads from a file's root, as HCL
// reads a JSON body with bake's schema.
func jsonContent(root *jnode) *bakeContent {
	c := &bakeContent{}
	for _, p := range c.props(root, "") {
		if !slices.Contains(bakeBlockTypes, p.name) {
			continue
		}
		labels := c.props(p.val, "name")
		if len(labels) == 0 {
			c.diags = append(c.diags, errAt(p.val.line, "Missing block label",
				fmt.Sprintf("At least one object property is required, whose name represents the %s block's name.", p.name)))
			continue
		}
		for _, l := range labels {
			switch l.val.kind {
			case kNull:
			case kObject:
				c.blocks = append(c.blocks, &bakeBlock{typ: p.name, name: l.name, line: l.val.line, attrs: jsonAttrs(l.val)})
			case kList:
				for _, e := range l.val.elems {
					c.blocks = append(c.blocks, &bakeBlock{typ: p.name, name: l.name, line: l.val.line, attrs: jsonAttrs(e)})
				}
			default:
				c.diags = append(c.diags, errAt(l.val.line, "Incorrect JSON value type",
					fmt.Sprintf("Either a JSON object or a JSON array is required, representing the contents of one or more %q blocks.", p.name)))
			}
		}
	}
	return c
}

// props are the properties of an object, or of the objects of an
// array, in order; label names what they are, or is empty for a body.
func (c *bakeContent) props(v *jnode, label string) []jprop {
	what := "to define arguments and child blocks"
	if label != "" {
		what = fmt.Sprintf("to specify %s labels for this block", label)
	}
	switch v.kind {
	case kNull:
		return nil
	case kObject:
		return v.props
	case kList:
		var out []jprop
		for _, e := range v.elems {
			if e.kind != kObject {
				c.diags = append(c.diags, errAt(e.line, "Incorrect JSON value type", "A JSON object is required here, "+what+"."))
				continue
			}
			out = append(out, e.props...)
		}
		return out
	}
	c.diags = append(c.diags, errAt(v.line, "Incorrect JSON value type", "Either a JSON object or JSON array of objects is required here, "+what+"."))
	return nil
}

// jsonAttrs are the attributes of a block's body: an object's properties
// but "//" (a comment), the first of a name given twice.
func jsonAttrs(body *jnode) []*hclAttr {
	if body.kind != kObject {
		return nil
	}
	var out []*hclAttr
	seen := map[string]bool{}
	for _, p := range body.props {
		if p.name == "//" || seen[p.name] {
			continue
		}
		seen[p.name] = true
		out = append(out, &hclAttr{name: p.name, line: p.line, expr: jsonExpr(p.val)})
	}
	return out
}

// jsonExpr is the expression a JSON value is.
func jsonExpr(n *jnode) expr {
	switch n.kind {
	case kString:
		return exprJSONString{n.s}
	case kNumber:
		if e, ok := numberLit(n.s); ok {
			return e
		}
		return exprOther{}
	case kBool:
		return exprLit{boolVal(n.s == "true")}
	case kList:
		var t exprTuple
		for _, e := range n.elems {
			t.elems = append(t.elems, jsonExpr(e))
		}
		return t
	case kObject:
		var o exprJSONObject
		for _, p := range n.props {
			o.items = append(o.items, jsonItem{key: p.name, val: jsonExpr(p.val)})
		}
		return o
	}
	return exprLit{value{kind: kNull}}
}

// exprJSONString is a JSON string: a template where variables are in
// scope, literal text where none are (a variable's default).
type exprJSONString struct{ s string }

func (e exprJSONString) eval(sc scope) (value, bool) {
	if sc == nil {
		return stringVal(e.s), true
	}
	t, ok := parseBareTemplate(e.s)
	if !ok {
		return value{}, false
	}
	return t.eval(sc)
}

type jsonItem struct {
	key string
	val expr
}

// exprJSONObject is a JSON object: its names are strings as its values
// are, and a name may not come twice.
type exprJSONObject struct{ items []jsonItem }

func (e exprJSONObject) eval(sc scope) (value, bool) {
	out := value{kind: kObject, attrs: map[string]value{}}
	for _, it := range e.items {
		k, ok := exprJSONString{it.key}.eval(sc)
		if !ok || !k.primitive() {
			return value{}, false
		}
		if _, dup := out.attrs[k.s]; dup {
			return value{}, false
		}
		v, ok := it.val.eval(sc)
		if !ok {
			return value{}, false
		}
		out.attrs[k.s] = v
	}
	return out, true
}
