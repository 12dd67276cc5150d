package workflowscan

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The reader of bake's HCL files (docker-bake.hcl) follows HCL's native
// syntax specification (hashicorp/hcl, hclsyntax/spec.md) for the whole
// grammar, so that it parses what bake parses, and evaluates the part of
// the expression language bake files use for plain values. It refuses
// some files HCL reads: identifiers beyond ASCII, bytes that are not
// UTF-8 (in comments too), nesting deeper than maxDepth. The tests hold
// it to HCL itself on everything it reads (TestBakeOracle, FuzzBakeHCL).

// hclError is why a bake file does not parse, at a line.
type hclError struct {
	line int
	msg  string // "Summary: detail", as HCL words its diagnostics
}

func (e *hclError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func errAt(line int, summary, detail string) *hclError {
	return &hclError{line: line, msg: summary + ": " + detail}
}

// tokKind is the kind of a token of the native syntax.
type tokKind uint8

const (
	tEOF tokKind = iota
	tNewline
	tIdent
	tNumber
	tPunct    // an operator or delimiter, in text
	tOQuote   // " opening a quoted template
	tCQuote   // " closing it
	tOHeredoc // <<MARKER or <<-MARKER, text "<<" or "<<-"
	tCHeredoc // the heredoc's closing marker line
	tLit      // literal text of a template, escapes decoded
	tInterp   // "${" or "${~"
	tControl  // "%{" or "%{~"
	tSeqEnd   // "}" or "~}" closing an interpolation or directive
)

type token struct {
	kind tokKind
	text string
	line int
}

// maxDepth bounds the nesting of brackets and templates.
const maxDepth = 256

// lexer splits a file into tokens. Templates switch it into their own
// modes; the brace count of an interpolation tells which } ends it.
type lexer struct {
	src   []byte
	i     int
	line  int
	toks  []token
	depth int
}

// lexHCL splits src into tokens, ending with tEOF.
func lexHCL(src []byte) ([]token, *hclError) {
	if !utf8.Valid(src) {
		return nil, &hclError{line: 1, msg: "Invalid character encoding: All input files must be UTF-8 encoded. Ensure that UTF-8 encoding is selected in your editor."}
	}
	src = bytes.TrimPrefix(src, []byte("\uFEFF"))
	l := &lexer{src: src, line: 1}
	if err := l.main(false); err != nil {
		return nil, err
	}
	return l.toks, nil
}

func (l *lexer) emit(k tokKind, text string) {
	l.toks = append(l.toks, token{kind: k, text: text, line: l.line})
}

func (l *lexer) at(s string) bool { return bytes.HasPrefix(l.src[l.i:], []byte(s)) }

func (l *lexer) invalid() *hclError {
	return errAt(l.line, "Invalid character", "This character is not used within the language.")
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isIdentByte(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_' || c == '-'
}

// punct are the operators and delimiters, longest first where one
// begins another.
var punct = []string{
	"...", "==", "!=", "<=", ">=", "&&", "||", "::", "=>",
	"[", "]", "(", ")", ".", ",", "*", "/", "%", "+", "-", "=", "<", ">", "!", "?", ":",
}

// main reads expression tokens: to the end of the file, or in an
// interpolation to its closing brace.
func (l *lexer) main(interp bool) *hclError {
	braces := 0
	for l.i < len(l.src) {
		c := l.src[l.i]
		switch {
		case c == ' ' || c == '\t':
			l.i++
		case c == '\n' || l.at("\r\n"):
			l.emit(tNewline, "\n")
			l.i = nextLine(l.src, l.i)
			l.line++
		case c == '#' || l.at("//"):
			// A line comment stands for the newline that ends it.
			end := bytes.IndexByte(l.src[l.i:], '\n')
			if end < 0 {
				l.i = len(l.src)
				break
			}
			l.i += end + 1
			l.emit(tNewline, "\n")
			l.line++
		case l.at("/*"):
			end := bytes.Index(l.src[l.i+2:], []byte("*/"))
			if end < 0 {
				return l.invalid()
			}
			l.line += bytes.Count(l.src[l.i:l.i+2+end], []byte("\n"))
			l.i += end + 4
		case isDigit(c):
			l.number()
		case isLetter(c) || c == '_':
			j := l.i + 1
			for j < len(l.src) && isIdentByte(l.src[j]) {
				j++
			}
			l.emit(tIdent, string(l.src[l.i:j]))
			l.i = j
		case c == '"':
			l.emit(tOQuote, `"`)
			l.i++
			if err := l.nest(func() *hclError { return l.template(tmplQuoted, nil) }); err != nil {
				return err
			}
		case l.at("<<"):
			ok, err := l.heredoc()
			if err != nil {
				return err
			}
			if !ok { // < then <<MARKER, or two less-thans
				l.emit(tPunct, "<")
				l.i++
			}
		case c == '{':
			braces++
			l.emit(tPunct, "{")
			l.i++
		case c == '}' || l.at("~}"):
			text := "}"
			if c == '~' {
				text = "~}"
			}
			if interp && braces == 0 {
				l.emit(tSeqEnd, text)
				l.i += len(text)
				return nil
			}
			if c == '~' {
				return l.invalid()
			}
			braces--
			l.emit(tPunct, "}")
			l.i++
		default:
			p := ""
			for _, s := range punct {
				if l.at(s) {
					p = s
					break
				}
			}
			if p == "" {
				return l.invalid()
			}
			l.emit(tPunct, p)
			l.i += len(p)
		}
	}
	if interp {
		return errAt(l.line, "Unclosed template interpolation sequence", "There is no closing brace for this interpolation sequence before the end of the file. This might be caused by incorrect nesting inside the given expression.")
	}
	l.emit(tEOF, "")
	return nil
}

// nest runs f one level deeper, refusing nesting past maxDepth.
func (l *lexer) nest(f func() *hclError) *hclError {
	if l.depth >= maxDepth {
		return errAt(l.line, "Nesting too deep", fmt.Sprintf("bricklayer reads bake files nested at most %d deep.", maxDepth))
	}
	l.depth++
	defer func() { l.depth-- }()
	return f()
}

// number reads a numeric literal: digits, a fraction and an exponent,
// as the longest run of them that does not end in a dot.
func (l *lexer) number() {
	j := l.i + 1
	for j < len(l.src) {
		c := l.src[j]
		switch {
		case isDigit(c) || c == '.':
			j++
			continue
		case c == 'e' || c == 'E':
			k := j + 1
			if k < len(l.src) && (l.src[k] == '+' || l.src[k] == '-') {
				k++
			}
			if k < len(l.src) && isDigit(l.src[k]) {
				j = k + 1
				continue
			}
		}
		break
	}
	for l.src[j-1] == '.' {
		j--
	}
	l.emit(tNumber, string(l.src[l.i:j]))
	l.i = j
}

// heredoc reads <<MARKER or <<-MARKER with the newline that must follow
// it, then the template up to the line that is the marker alone. ok is
// false when what follows << is not a heredoc's start.
func (l *lexer) heredoc() (ok bool, err *hclError) {
	j := l.i + 2
	open := "<<"
	if j < len(l.src) && l.src[j] == '-' {
		open, j = "<<-", j+1
	}
	k := j
	if k >= len(l.src) || !(isLetter(l.src[k]) || l.src[k] == '_') {
		return false, nil
	}
	for k < len(l.src) && isIdentByte(l.src[k]) {
		k++
	}
	marker := l.src[j:k]
	switch {
	case bytes.HasPrefix(l.src[k:], []byte("\n")):
		k++
	case bytes.HasPrefix(l.src[k:], []byte("\r\n")):
		k += 2
	default:
		return false, nil
	}
	l.emit(tOHeredoc, open)
	l.i = k
	l.line++
	return true, l.nest(func() *hclError { return l.template(tmplHeredoc, marker) })
}

// tmplMode is where a template is written.
type tmplMode uint8

const (
	tmplQuoted  tmplMode = iota // "...", with escapes and on one line
	tmplHeredoc                 // <<MARKER, to the marker's line
	tmplBare                    // a whole string, as HCL reads JSON strings
)

// template reads a template's tokens up to its end: the closing quote,
// the heredoc's marker line, or the end of the input. Literal text is
// split as HCL splits it (at each $ and %, and after each newline), as
// the strip markers trim only the piece beside them.
func (l *lexer) template(mode tmplMode, marker []byte) *hclError {
	// lineStart: nothing of the current line is read yet, so that it
	// may be a heredoc's closing marker.
	lineStart := true
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			l.toks = append(l.toks, token{kind: tLit, text: string(lit), line: l.line})
			lineStart = false
			lit = lit[:0]
		}
	}
	for {
		if l.i >= len(l.src) {
			flush()
			if mode == tmplBare {
				l.emit(tEOF, "")
				return nil
			}
			return errAt(l.line, "Unterminated template string", "No closing marker was found for the string.")
		}
		if mode == tmplHeredoc && lineStart && len(lit) == 0 {
			if end, ok := l.markerLine(marker); ok {
				l.emit(tCHeredoc, string(marker))
				l.i = end
				return nil
			}
		}
		c := l.src[l.i]
		switch {
		case (c == '$' || c == '%') && l.i+2 < len(l.src) && l.src[l.i+1] == c && l.src[l.i+2] == '{':
			// $${ and %%{ are the literal ${ and %{.
			flush()
			lit = append(lit, c, '{')
			l.i += 3
			flush()
		case (c == '$' || c == '%') && l.i+1 < len(l.src) && l.src[l.i+1] == '{':
			flush()
			kind, text := tInterp, string(c)+"{"
			if c == '%' {
				kind = tControl
			}
			if l.i+2 < len(l.src) && l.src[l.i+2] == '~' {
				text += "~"
			}
			l.emit(kind, text)
			l.i += len(text)
			lineStart = false
			if err := l.nest(func() *hclError { return l.main(true) }); err != nil {
				return err
			}
		case c == '$' || c == '%':
			flush()
			lit = append(lit, c)
			l.i++
			flush()
		case c == '"' && mode == tmplQuoted:
			flush()
			l.emit(tCQuote, `"`)
			l.i++
			return nil
		case c == '\n' || c == '\r':
			if mode == tmplQuoted {
				return errAt(l.line, "Invalid multi-line string", "Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the \"heredoc\" multi-line template syntax.")
			}
			if !l.at("\n") && !l.at("\r\n") {
				return l.invalid()
			}
			n := nextLine(l.src, l.i)
			lit = append(lit, l.src[l.i:n]...)
			l.i = n
			l.line++
			flush()
			lineStart = true
		case c == '\\' && mode == tmplQuoted:
			r, n, err := l.escape()
			if err != nil {
				return err
			}
			lit = utf8.AppendRune(lit, r)
			l.i += n
		default:
			_, n := utf8.DecodeRune(l.src[l.i:])
			lit = append(lit, l.src[l.i:l.i+n]...)
			l.i += n
		}
	}
}

// markerLine tells whether the line at l.i closes a heredoc: the marker
// alone on it, with spaces around. end is where its newline begins,
// which ends the attribute as any newline does.
func (l *lexer) markerLine(marker []byte) (end int, ok bool) {
	rest := l.src[l.i:]
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 {
		return 0, false
	}
	body := rest[:nl]
	if bytes.HasSuffix(body, []byte("\r")) {
		body = body[:len(body)-1]
	}
	if bytes.ContainsAny(body, "$%\r") || !bytes.Equal(bytes.TrimSpace(rest[:nl+1]), marker) {
		return 0, false
	}
	return l.i + len(body), true
}

// escape decodes the backslash sequence at l.i of a quoted template.
func (l *lexer) escape() (r rune, n int, err *hclError) {
	bad := func(detail string) (rune, int, *hclError) {
		return 0, 0, errAt(l.line, "Invalid escape sequence", detail)
	}
	rest := l.src[l.i:]
	if len(rest) < 2 || rest[1] == '\n' || rest[1] == '\r' {
		return 0, 0, l.invalid()
	}
	switch rest[1] {
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	case '"':
		return '"', 2, nil
	case '\\':
		return '\\', 2, nil
	case 'u', 'U':
		want := 4
		if rest[1] == 'U' {
			want = 8
		}
		k := 2
		for k < len(rest) && k < 2+want && isHex(rest[k]) {
			k++
		}
		if k != 2+want {
			return bad(fmt.Sprintf("The \\%c escape sequence must be followed by %d hexadecimal digits.", rest[1], want))
		}
		v, _ := strconv.ParseUint(string(rest[2:k]), 16, 32)
		if utf8.RuneLen(rune(v)) < 0 {
			return bad(fmt.Sprintf("Cannot encode character U+%04x in UTF-8.", v))
		}
		return rune(v), k, nil
	}
	sel, _ := utf8.DecodeRune(rest[1:])
	return bad(fmt.Sprintf("The symbol %q is not a valid escape sequence selector.", string(sel)))
}

// nextLine is the index after the newline (\n or \r\n) at i.
func nextLine(src []byte, i int) int {
	if src[i] == '\r' {
		return i + 2
	}
	return i + 1
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
