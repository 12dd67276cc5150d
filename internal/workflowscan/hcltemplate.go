package workflowscan

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// rawPart is a piece of a template as written, before strip markers,
// heredoc indentation and joining make its literal text final.
type rawPart struct {
	lit       string
	isLit     bool
	interp    expr // an interpolation's; nil for a literal or a directive
	trimLeft  bool // a sequence opening with ${~ or %{~
	trimRight bool // a sequence closing with ~}
}

// template reads the pieces of a template up to closer, and makes its
// expression. A template with directives (%{if}, %{for}) is checked but
// not evaluated.
func (p *parser) template(closer tokKind, flush bool) expr {
	var parts []*rawPart
	var open []string // the directives not yet ended
	directives := false
	for p.err == nil {
		t := p.toks[p.pos]
		if t.kind == closer {
			p.pos++
			break
		}
		switch t.kind {
		case tLit:
			p.pos++
			parts = append(parts, &rawPart{lit: t.text, isLit: true})
		case tInterp, tControl:
			p.pos++
			p.pushNL(false)
			part := &rawPart{trimLeft: strings.HasSuffix(t.text, "~")}
			if t.kind == tInterp {
				part.interp = p.expression()
			} else {
				directives = true
				open = p.directive(open)
			}
			if p.err == nil {
				part.trimRight = p.seqEnd(t)
			}
			p.popNL()
			parts = append(parts, part)
		default:
			p.fail(t, "Unterminated template string", "No closing marker was found for the string.")
		}
	}
	if p.err == nil && len(open) > 0 {
		d := strings.Replace(open[len(open)-1], "else", "if", 1)
		p.fail(p.toks[p.pos-1], "Unexpected end of template", fmt.Sprintf("The %s directive is missing its corresponding end%s directive.", d, d))
	}
	if p.err != nil || directives {
		return exprOther{}
	}
	return makeTemplate(parts, flush)
}

// seqEnd reads the } closing an interpolation or directive opened by t,
// and tells whether it is ~}.
func (p *parser) seqEnd(t token) bool {
	end := p.peek()
	if end.kind == tSeqEnd {
		p.next()
		return end.text == "~}"
	}
	switch {
	case t.kind == tControl:
		p.fail(end, "Extra characters in directive marker", "Expected a closing brace to end the sequence, but found extra characters.")
	case isPunct(end, ":"):
		p.fail(end, "Extra characters after interpolation expression", `Template interpolation doesn't expect a colon at this location. Did you intend this to be a literal sequence to be processed as part of another language? If so, you can escape it by starting with "$${" instead of just "${".`)
	default:
		p.fail(end, "Extra characters after interpolation expression", `Expected a closing brace to end the interpolation expression, but found extra characters.`)
	}
	return false
}

// directive reads a directive's keyword and what it takes, and returns
// the directives still open after it.
func (p *parser) directive(open []string) []string {
	kw := p.peek()
	if kw.kind != tIdent {
		p.fail(kw, "Invalid template directive", `A template directive keyword ("if", "for", etc) is expected at the beginning of a %{ sequence.`)
		return open
	}
	p.next()
	top := ""
	if len(open) > 0 {
		top = open[len(open)-1]
	}
	switch kw.text {
	case "if":
		p.expression()
		return append(open, "if")
	case "for":
		for i := 0; i < 2 && p.err == nil; i++ {
			if t := p.next(); t.kind != tIdent {
				p.fail(t, "Invalid 'for' directive", "For directive requires variable name after 'for'.")
			}
			if i == 1 || !isPunct(p.peek(), ",") {
				break
			}
			p.next()
		}
		if t := p.next(); p.err == nil && !isWord(t, "in") {
			p.fail(t, "Invalid 'for' directive", "For directive requires 'in' keyword after names.")
		}
		p.expression()
		return append(open, "for")
	case "else":
		if top != "if" {
			p.fail(kw, "Unexpected else directive", "The control directives within this template are unbalanced.")
			return open
		}
		open[len(open)-1] = "else"
		return open
	case "endif", "endfor":
		want := map[string]string{"endif": "if", "endfor": "for"}[kw.text]
		if top != want && !(want == "if" && top == "else") {
			p.fail(kw, fmt.Sprintf("Unexpected %s directive", kw.text), "The control directives within this template are unbalanced.")
			return open
		}
		return open[:len(open)-1]
	}
	p.fail(kw, "Invalid template control keyword", fmt.Sprintf("%q is not a valid template control keyword.", kw.text))
	return open
}

// makeTemplate applies the strip markers to the literal pieces beside
// them, a flush heredoc's (<<-) indentation, and joins the pieces. One
// interpolation alone is the value it interpolates.
func makeTemplate(parts []*rawPart, flush bool) expr {
	for i, pt := range parts {
		if !pt.isLit {
			continue
		}
		if i > 0 && parts[i-1].trimRight {
			pt.lit = trimLeftSpace(pt.lit)
		}
		if i+1 < len(parts) && parts[i+1].trimLeft {
			pt.lit = trimRightSpace(pt.lit)
		}
	}
	if flush && !unindent(parts) {
		return exprOther{}
	}
	if len(parts) == 1 && !parts[0].isLit {
		return exprTemplate{parts: []tpart{{interp: parts[0].interp}}, unwrap: true}
	}
	var out []tpart
	for _, pt := range parts {
		if pt.isLit && len(out) > 0 && out[len(out)-1].interp == nil {
			out[len(out)-1].lit += pt.lit
			continue
		}
		out = append(out, tpart{lit: pt.lit, interp: pt.interp})
	}
	return exprTemplate{parts: out}
}

// unindent removes from the pieces beginning the lines of a <<- heredoc
// the spaces they all begin with; lines of spaces alone keep theirs,
// and a line beginning with an interpolation has none. It declines (ok
// false) where counting characters would need Unicode's grapheme
// clusters, as HCL counts them: anything but ASCII at a line's start.
func unindent(parts []*rawPart) (ok bool) {
	minSpaces := -1
	var adjust []*rawPart
	lineStart := true
	for _, pt := range parts {
		if lineStart {
			lineStart = false
			spaces := 0
			if pt.isLit {
				trimmed := trimLeftSpace(pt.lit)
				if trimmed == "" && strings.HasSuffix(pt.lit, "\n") {
					spaces = -1
				} else {
					spaces = len(pt.lit) - len(trimmed)
					if strings.ContainsFunc(pt.lit[:spaces], nonASCII) || trimmed != "" && trimmed[0] >= utf8.RuneSelf {
						return false
					}
					adjust = append(adjust, pt)
				}
			}
			if spaces >= 0 && (minSpaces < 0 || spaces < minSpaces) {
				minSpaces = spaces
			}
		}
		if pt.isLit && strings.HasSuffix(pt.lit, "\n") {
			lineStart = true
		}
	}
	for _, pt := range adjust {
		pt.lit = pt.lit[max(minSpaces, 0):]
	}
	return true
}

func nonASCII(r rune) bool { return r >= utf8.RuneSelf }

// tuple reads [a, b, ...] or a for expression in brackets.
func (p *parser) tuple() expr {
	open := p.next()
	p.pushNL(false)
	defer p.popNL()
	if isWord(p.peek(), "for") {
		p.forExpr("]")
		return exprOther{}
	}
	var elems []expr
	for p.err == nil {
		if isPunct(p.peek(), "]") {
			p.next()
			break
		}
		elems = append(elems, p.expression())
		if p.err != nil {
			break
		}
		t := p.peek()
		switch {
		case isPunct(t, "]"):
			p.next()
			return exprTuple{elems}
		case t.kind == tEOF:
			p.fail(open, "Unterminated tuple constructor expression", "There is no corresponding closing bracket before the end of the file. This may be caused by incorrect bracket nesting elsewhere in this file.")
		case !isPunct(t, ","):
			p.fail(t, "Missing item separator", "Expected a comma to mark the beginning of the next item.")
		}
		p.next()
	}
	return exprTuple{elems}
}

// object reads { k = v, ... } or a for expression in braces.
func (p *parser) object() expr {
	open := p.next()
	p.pushNL(false)
	isFor := isWord(p.peek(), "for")
	if isFor {
		p.forExpr("}")
	}
	p.popNL()
	if isFor {
		return exprOther{}
	}
	p.pushNL(true)
	defer p.popNL()
	var items []objItem
	for p.err == nil {
		t := p.peek()
		if t.kind == tNewline {
			p.next()
			continue
		}
		if isPunct(t, "}") {
			p.next()
			break
		}
		it := objItem{key: p.expression()}
		if v, ok := it.key.(exprVar); ok && !isPunct(t, "(") {
			it.name, it.key = v.name, nil // a bare name is the key itself
		}
		if p.err != nil {
			return exprOther{}
		}
		switch sep := p.peek(); {
		case isPunct(sep, "=") || isPunct(sep, ":"):
			p.next()
		case sep.kind == tNewline || isPunct(sep, ","):
			p.fail(sep, "Missing attribute value", `Expected an attribute value, introduced by an equals sign ("=").`)
		case sep.kind == tEOF:
			p.fail(open, "Unterminated object constructor expression", "There is no corresponding closing brace before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.")
		default:
			p.fail(sep, "Missing key/value separator", `Expected an equals sign ("=") to mark the beginning of the attribute value.`)
		}
		if p.err != nil {
			return exprOther{}
		}
		it.val = p.expression()
		items = append(items, it)
		if p.err != nil {
			break
		}
		switch t := p.peek(); {
		case isPunct(t, "}"):
			p.next()
			return exprObject{items}
		case t.kind == tNewline || isPunct(t, ","):
			p.next()
		case t.kind == tEOF:
			p.fail(open, "Unterminated object constructor expression", "There is no corresponding closing brace before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.")
		default:
			p.fail(t, "Missing attribute separator", "Expected a newline or comma to mark the beginning of the next attribute.")
		}
	}
	return exprObject{items}
}

// forExpr reads a for expression after its opening bracket, to closer.
func (p *parser) forExpr(closer string) {
	p.pushNL(false)
	defer p.popNL()
	bad := func(t token, detail string) { p.fail(t, "Invalid 'for' expression", detail) }
	p.next() // for
	if t := p.next(); t.kind != tIdent {
		bad(t, "For expression requires variable name after 'for'.")
		return
	}
	if isPunct(p.peek(), ",") {
		p.next()
		if t := p.next(); t.kind != tIdent {
			bad(t, "For expression requires value variable name after comma.")
			return
		}
	}
	if t := p.next(); !isWord(t, "in") {
		bad(t, "For expression requires the 'in' keyword after its name declarations.")
		return
	}
	p.expression()
	if t := p.next(); p.err == nil && !isPunct(t, ":") {
		bad(t, "For expression requires a colon after the collection expression.")
		return
	}
	p.expression()
	key := false
	if arrow := p.peek(); p.err == nil && isPunct(arrow, "=>") {
		p.next()
		p.expression()
		key = true
	}
	group := p.err == nil && isPunct(p.peek(), "...")
	if group {
		p.next()
	}
	if p.err == nil && isWord(p.peek(), "if") {
		p.next()
		p.expression()
	}
	end := p.next()
	switch {
	case p.err != nil:
	case !isPunct(end, closer):
		bad(end, "Extra characters after the end of the 'for' expression.")
	case closer == "]" && key:
		bad(end, "Key expression is not valid when building a tuple.")
	case closer == "]" && group:
		bad(end, "Grouping ellipsis (...) cannot be used when building a tuple.")
	case closer == "}" && !key:
		bad(end, "Key expression is required when building an object.")
	}
}

// parseBareTemplate reads s as HCL reads a JSON string where it
// evaluates expressions: as a template, with no escapes but $${ and %%{.
func parseBareTemplate(s string) (expr, bool) {
	l := &lexer{src: []byte(s), line: 1}
	if err := l.template(tmplBare, nil); err != nil {
		return nil, false
	}
	p := &parser{toks: l.toks, nl: []bool{true}}
	e := p.template(tEOF, false)
	if p.err != nil {
		return nil, false
	}
	if _, other := e.(exprOther); other {
		return nil, false
	}
	return e, true
}
