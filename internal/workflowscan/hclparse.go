package workflowscan

import (
	"fmt"
	"slices"
	"strings"
)

// hclBody is a body of the native syntax: its attributes and blocks in
// the order they are written.
type hclBody struct {
	attrs  []*hclAttr
	blocks []*hclBlock
}

// hclAttr is an attribute: name = expression.
type hclAttr struct {
	name string
	line int
	expr expr
}

// hclBlock is a block: type "label" ... { body }.
type hclBlock struct {
	typ        string
	labels     []string
	line       int // the type's
	labelLines []int
	braceLine  int
	body       *hclBody
}

// parser reads tokens into a body. nl tells whether newlines count
// where it is (they do in bodies and objects, not inside brackets or
// interpolations). The first error stops it.
type parser struct {
	toks  []token
	pos   int
	nl    []bool
	depth int
	err   *hclError
}

// parseHCL parses a file of the native syntax.
func parseHCL(src []byte) (*hclBody, *hclError) {
	toks, err := lexHCL(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, nl: []bool{true}}
	body := p.body(0)
	if p.err != nil {
		return nil, p.err
	}
	return body, nil
}

func (p *parser) fail(t token, summary, detail string) {
	if p.err == nil {
		p.err = errAt(t.line, summary, detail)
	}
}

func (p *parser) pushNL(on bool) { p.nl = append(p.nl, on) }
func (p *parser) popNL()         { p.nl = p.nl[:len(p.nl)-1] }

// peek is the next token, past newlines where they do not count.
func (p *parser) peek() token {
	return p.toks[p.skipNL()]
}

// next reads the token peek shows; at the end it stays on tEOF.
func (p *parser) next() token {
	p.pos = p.skipNL()
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

// skipNL is the index of the next token that counts; the tokens end
// with tEOF, which it does not pass.
func (p *parser) skipNL() int {
	i := min(p.pos, len(p.toks)-1)
	for !p.nl[len(p.nl)-1] && p.toks[i].kind == tNewline {
		i++
	}
	return i
}

func isPunct(t token, s string) bool { return t.kind == tPunct && t.text == s }
func isWord(t token, s string) bool  { return t.kind == tIdent && t.text == s }

// body reads attributes and blocks up to the end of the file, or when
// open (the line of its brace) is set, up to the closing brace.
func (p *parser) body(open int) *hclBody {
	b := &hclBody{}
	seen := map[string]int{}
	for p.err == nil {
		t := p.peek()
		switch {
		case open > 0 && isPunct(t, "}") || open == 0 && t.kind == tEOF:
			p.next()
			return b
		case t.kind == tNewline:
			p.next()
		case t.kind == tIdent:
			p.item(b, seen)
		case t.kind == tOQuote:
			p.fail(t, "Invalid argument name", "Argument names must not be quoted.")
		case t.kind == tEOF:
			p.fail(token{line: open}, "Unclosed configuration block", "There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.")
		default:
			p.fail(t, "Argument or block definition required", "An argument or block definition is required here.")
		}
	}
	return b
}

// item reads an attribute or a block into b.
func (p *parser) item(b *hclBody, seen map[string]int) {
	ident := p.next()
	t := p.peek()
	switch {
	case isPunct(t, "="):
		a := p.attribute(ident, false)
		if p.err != nil {
			return
		}
		if line, ok := seen[a.name]; ok {
			p.fail(ident, "Attribute redefined", fmt.Sprintf("The argument %q was already set at line %d. Each argument may be set only once.", a.name, line))
			return
		}
		seen[a.name] = a.line
		b.attrs = append(b.attrs, a)
	case t.kind == tOQuote || isPunct(t, "{") || t.kind == tIdent:
		if blk := p.block(ident); blk != nil {
			b.blocks = append(b.blocks, blk)
		}
	default:
		p.fail(ident, "Argument or block definition required", `An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.`)
	}
}

// attribute reads = and the expression after ident, and unless single
// (the one attribute of a block on one line) the newline ending it.
func (p *parser) attribute(ident token, single bool) *hclAttr {
	p.next() // =
	a := &hclAttr{name: ident.text, line: ident.line, expr: p.expression()}
	if p.err != nil || single {
		return a
	}
	switch t := p.peek(); {
	case t.kind == tNewline:
		p.next()
	case t.kind == tEOF:
	case isPunct(t, ","):
		p.fail(t, "Unexpected comma after argument", "Argument definitions must be separated by newlines, not commas. An argument definition must end with a newline.")
	default:
		p.fail(t, "Missing newline after argument", "An argument definition must end with a newline.")
	}
	return a
}

// block reads a block's labels and body after its type.
func (p *parser) block(ident token) *hclBlock {
	blk := &hclBlock{typ: ident.text, line: ident.line}
	for p.err == nil {
		t := p.peek()
		switch {
		case isPunct(t, "{"):
			p.next()
			blk.braceLine = t.line
		case t.kind == tOQuote:
			blk.labels = append(blk.labels, p.stringLit())
			blk.labelLines = append(blk.labelLines, t.line)
			continue
		case t.kind == tIdent:
			p.next()
			blk.labels = append(blk.labels, t.text)
			blk.labelLines = append(blk.labelLines, t.line)
			continue
		case isPunct(t, "="):
			p.fail(t, "Invalid block definition", `The equals sign "=" indicates an argument definition, and must not be used when defining a block.`)
		case t.kind == tNewline:
			p.fail(t, "Invalid block definition", `A block definition must have block content delimited by "{" and "}", starting on the same line as the block header.`)
		default:
			p.fail(t, "Invalid block definition", `Either a quoted string block label or an opening brace ("{") is expected here.`)
		}
		break
	}
	if p.err != nil {
		return nil
	}
	if t := p.peek(); t.kind == tNewline || t.kind == tEOF || isPunct(t, "}") {
		blk.body = p.body(blk.braceLine)
	} else {
		blk.body = p.oneLineBody(blk.braceLine)
	}
	if p.err != nil {
		return nil
	}
	switch t := p.peek(); t.kind {
	case tNewline:
		p.next()
	case tEOF:
	default:
		p.fail(t, "Missing newline after block definition", "A block definition must end with a newline.")
	}
	return blk
}

// oneLineBody reads the single attribute of a block written on one
// line, and its closing brace.
func (p *parser) oneLineBody(open int) *hclBody {
	ident := p.next()
	if ident.kind != tIdent {
		p.fail(ident, "Argument or block definition required", "An argument or block definition is required here.")
		return nil
	}
	switch t := p.peek(); {
	case isPunct(t, "="):
	case t.kind == tOQuote || isPunct(t, "{") || t.kind == tIdent:
		p.fail(ident, "Argument definition required", fmt.Sprintf("A single-line block definition can contain only a single argument. If you meant to define argument %q, use an equals sign to assign it a value. To define a nested block, place it on a line of its own within its parent block.", ident.text))
		return nil
	default:
		p.fail(ident, "Argument or block definition required", `An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.`)
		return nil
	}
	a := p.attribute(ident, true)
	if p.err != nil {
		return nil
	}
	switch t := p.peek(); {
	case isPunct(t, "}"):
		p.next()
	case isPunct(t, ","):
		p.fail(t, "Invalid single-argument block definition", "Single-line block syntax can include only one argument definition. To define multiple arguments, use the multi-line block syntax with one argument definition per line.")
	case t.kind == tNewline:
		p.fail(t, "Invalid single-argument block definition", "An argument definition on the same line as its containing block creates a single-line block definition, which must also be closed on the same line. Place the block's closing brace immediately after the argument definition.")
	case t.kind == tEOF:
		p.fail(token{line: open}, "Unclosed configuration block", "There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.")
	default:
		p.fail(t, "Invalid single-argument block definition", "A single-line block definition must end with a closing brace immediately after its single argument definition.")
	}
	return &hclBody{attrs: []*hclAttr{a}}
}

// stringLit reads a quoted string without interpolations (a label).
func (p *parser) stringLit() string {
	p.next() // "
	var sb strings.Builder
	for p.err == nil {
		t := p.toks[p.pos]
		p.pos++
		switch t.kind {
		case tCQuote:
			return sb.String()
		case tLit:
			sb.WriteString(t.text)
		case tInterp, tControl:
			c := t.text[:1]
			p.fail(t, "Invalid string literal", fmt.Sprintf(`Template sequences are not allowed in this string. To include a literal %q, double it (as "%s%s") to escape it.`, c, c, c))
		default:
			p.fail(t, "Invalid string literal", "This item is not valid in a string literal.")
		}
	}
	return ""
}

// binaryOps are the binary operators, loosest first.
var binaryOps = [][]string{{"||"}, {"&&"}, {"==", "!="}, {"<", ">", "<=", ">="}, {"+", "-"}, {"*", "/", "%"}}

// expression reads an expression, a conditional at its loosest.
func (p *parser) expression() expr {
	if p.depth >= maxDepth {
		p.fail(p.peek(), "Nesting too deep", fmt.Sprintf("bricklayer reads bake files nested at most %d deep.", maxDepth))
		return exprOther{}
	}
	p.depth++
	defer func() { p.depth-- }()
	e := p.binary(0)
	if p.err != nil || !isPunct(p.peek(), "?") {
		return e
	}
	p.next()
	p.expression()
	if t := p.peek(); p.err == nil && !isPunct(t, ":") {
		p.fail(t, "Missing false expression in conditional", "The conditional operator (...?...:...) requires a false expression, delimited by a colon.")
	}
	p.next()
	p.expression()
	return exprOther{}
}

// binary reads operands joined by the operators of binaryOps[level:].
func (p *parser) binary(level int) expr {
	if level == len(binaryOps) {
		return p.postfix(p.term())
	}
	e := p.binary(level + 1)
	for p.err == nil {
		if t := p.peek(); t.kind != tPunct || !slices.Contains(binaryOps[level], t.text) {
			break
		}
		p.next()
		p.binary(level + 1)
		e = exprOther{}
	}
	return e
}

// term reads an operand.
func (p *parser) term() expr {
	t := p.peek()
	switch {
	case isPunct(t, "("):
		p.next()
		p.pushNL(false)
		defer p.popNL()
		e := p.expression()
		if c := p.peek(); p.err == nil && !isPunct(c, ")") {
			p.fail(c, "Unbalanced parentheses", "Expected a closing parenthesis to terminate the expression.")
		}
		p.next()
		return exprParen{e}
	case t.kind == tNumber:
		p.next()
		e, ok := numberLit(t.text)
		if !ok {
			p.fail(t, "Invalid number literal", "Failed to recognize the value of this number literal.")
			return exprOther{}
		}
		return e
	case t.kind == tIdent:
		p.next()
		if n := p.peek(); isPunct(n, "(") || isPunct(n, "::") {
			p.call()
			return exprOther{}
		}
		switch t.text {
		case "true", "false":
			return exprLit{boolVal(t.text == "true")}
		case "null":
			return exprLit{value{kind: kNull}}
		}
		return exprVar{t.text}
	case t.kind == tOQuote || t.kind == tOHeredoc:
		p.next()
		if t.kind == tOQuote {
			return p.template(tCQuote, false)
		}
		return p.template(tCHeredoc, t.text == "<<-")
	case isPunct(t, "-") || isPunct(t, "!"):
		p.next()
		if p.depth >= maxDepth {
			p.fail(t, "Nesting too deep", fmt.Sprintf("bricklayer reads bake files nested at most %d deep.", maxDepth))
			return exprOther{}
		}
		p.depth++
		defer func() { p.depth-- }()
		e := p.postfix(p.term())
		if t.text == "-" {
			return exprNeg{e}
		}
		return exprOther{}
	case isPunct(t, "["):
		return p.tuple()
	case isPunct(t, "{"):
		return p.object()
	case t.kind == tEOF:
		p.fail(t, "Missing expression", "Expected the start of an expression, but found the end of the file.")
	default:
		p.fail(t, "Invalid expression", "Expected the start of an expression, but found an invalid expression token.")
	}
	return exprOther{}
}

// call reads a function call's arguments after its name.
func (p *parser) call() {
	for isPunct(p.peek(), "::") {
		p.next()
		if t := p.next(); t.kind != tIdent {
			p.fail(t, "Missing function name", "Function scope resolution symbol :: must be followed by a function name in this scope.")
			return
		}
	}
	if t := p.next(); !isPunct(t, "(") {
		p.fail(t, "Missing open parenthesis", "Function selector must be followed by an open parenthesis to begin the function call.")
		return
	}
	p.pushNL(false)
	defer p.popNL()
	for p.err == nil {
		if isPunct(p.peek(), ")") {
			p.next()
			return
		}
		p.expression()
		if p.err != nil {
			return
		}
		switch sep := p.next(); {
		case isPunct(sep, ")"):
			return
		case isPunct(sep, "..."):
			if t := p.next(); !isPunct(t, ")") {
				p.fail(sep, "Missing closing parenthesis", "An expanded function argument (with ...) must be immediately followed by closing parentheses.")
			}
			return
		case sep.kind == tEOF:
			p.fail(sep, "Unterminated function call", "There is no closing parenthesis for this function call before the end of the file. This may be caused by incorrect parenthesis nesting elsewhere in this file.")
		case !isPunct(sep, ","):
			p.fail(sep, "Missing argument separator", "A comma is required to separate each function argument from the next.")
		}
	}
}

// postfix reads what follows an operand: .attr, .0, [key], .* and [*].
func (p *parser) postfix(e expr) expr {
	for p.err == nil {
		t := p.peek()
		switch {
		case isPunct(t, "."):
			p.next()
			switch a := p.peek(); {
			case a.kind == tIdent:
				p.next()
			case a.kind == tNumber:
				p.next()
				p.legacyIndex(a)
			case isPunct(a, "*"):
				p.next()
				p.attrSplat()
			default:
				p.fail(a, "Invalid attribute name", "An attribute name is required after a dot.")
			}
		case isPunct(t, "["):
			p.next()
			if isPunct(p.peek(), "*") {
				p.next()
				if c := p.next(); !isPunct(c, "]") {
					p.fail(c, "Missing close bracket on splat index", `The star for a full splat operator must be immediately followed by a closing bracket ("]").`)
				}
				e = exprOther{}
				continue
			}
			p.pushNL(false)
			p.expression()
			if c := p.next(); p.err == nil && !isPunct(c, "]") {
				p.fail(c, "Missing close bracket on index", `The index operator must end with a closing bracket ("]").`)
			}
			p.popNL()
		default:
			return e
		}
		e = exprOther{}
	}
	return e
}

// attrSplat reads the .attr and .0 steps after .*.
func (p *parser) attrSplat() {
	for p.err == nil && isPunct(p.peek(), ".") {
		p.next()
		switch t := p.peek(); {
		case t.kind == tNumber:
			p.next()
			p.legacyIndex(t)
		case t.kind == tIdent:
			p.next()
		case isPunct(t, "*"):
			p.fail(t, "Nested splat expression not allowed", "A splat expression (*) cannot be used inside another attribute-only splat expression.")
		default:
			p.fail(t, "Invalid attribute name", "An attribute name is required after a dot.")
		}
	}
}

// legacyIndex checks the number of a .0 index.
func (p *parser) legacyIndex(t token) {
	if first, second, ok := strings.Cut(t.text, "."); ok {
		p.fail(t, "Invalid legacy index syntax", fmt.Sprintf("When using the legacy index syntax, chaining two indexes together is not permitted. Use the proper index syntax instead, like [%s][%s].", first, second))
		return
	}
	if _, ok := numberLit(t.text); !ok {
		p.fail(t, "Invalid number literal", "Failed to recognize the value of this number literal.")
	}
}
