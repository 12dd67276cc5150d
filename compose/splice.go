package compose

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// spliceScalar is the edit that gives scalar n the value to, written in the
// style n is written in. n's position is that of its properties (&anchor,
// !tag) when it has some, so those are stepped over first.
func spliceScalar(src []byte, starts []int, n *yaml.Node, to string) (edit, error) {
	off, err := offset(src, starts, n.Line, n.Column)
	if err != nil {
		return edit{}, err
	}
	start := skipProperties(src, off)
	fail := func(what string) (edit, error) {
		return edit{}, errAt(n, "cannot find the image %q in the source (%s); refusing to edit it", n.Value, what)
	}
	e, what := span(src, start, n, to)
	if what != "" {
		return fail(what)
	}
	// Never splice at a place not shown to hold the parsed value.
	var got string
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		got = string(src[e.start:e.end])
	} else if err := yaml.Unmarshal(src[e.start:e.end], &got); err != nil {
		return fail("the quoted text does not parse")
	}
	if got != n.Value {
		return fail(fmt.Sprintf("found %q there", got))
	}
	return e, nil
}

// span is the edit of the text of n, which starts at start; what says why
// it is not there.
func span(src []byte, start int, n *yaml.Node, to string) (e edit, what string) {
	fail := func(what string) (edit, string) { return edit{}, what }
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		if start >= len(src) || src[start] != '"' {
			return fail("no opening double quote")
		}
		end := start + 1
		for end < len(src) && src[end] != '"' {
			if src[end] == '\\' {
				end++ // an escaped character, which may be a quote
			}
			end++
		}
		if end >= len(src) {
			return fail("no closing double quote")
		}
		return edit{start, end + 1, doubleQuote(to)}, ""
	case n.Style&yaml.SingleQuotedStyle != 0:
		if start >= len(src) || src[start] != '\'' {
			return fail("no opening single quote")
		}
		end := start + 1
		for ; end < len(src); end++ {
			if src[end] == '\'' {
				if end+1 < len(src) && src[end+1] == '\'' {
					end++ // '' is an escaped quote
					continue
				}
				break
			}
		}
		if end >= len(src) {
			return fail("no closing single quote")
		}
		return edit{start, end + 1, `'` + strings.ReplaceAll(to, "'", "''") + `'`}, ""
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		// A block scalar's text begins on the line after its | or >
		// header; a reference has no spaces, so it sits there verbatim.
		// It is the first text after the header line.
		body := start
		for body < len(src) && breakLen(src, body) == 0 {
			body++
		}
		if body == len(src) {
			return fail("no content after the block header")
		}
		for body < len(src) && (src[body] == ' ' || src[body] == '\t' || breakLen(src, body) > 0) {
			body++
		}
		if !bytes.HasPrefix(src[body:], []byte(n.Value)) {
			return fail("not at the start of the block")
		}
		return edit{body, body + len(n.Value), to}, ""
	default:
		if !bytes.HasPrefix(src[start:], []byte(n.Value)) {
			return fail("the plain text differs")
		}
		return edit{start, start + len(n.Value), to}, ""
	}
}

// doubleQuote is s as a YAML double-quoted scalar.
func doubleQuote(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&sb, "\\x%02x", r)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// skipProperties steps over the anchor and tag of a node, and the spaces,
// line breaks and comments that may follow them, to its content. Content
// never begins with &, ! or #, so this is a no-op on a node without them.
func skipProperties(src []byte, i int) int {
	for i < len(src) {
		switch c := src[i]; {
		case c == ' ' || c == '\t':
			i++
		case breakLen(src, i) > 0:
			i += breakLen(src, i)
		case c == '#':
			for i < len(src) && breakLen(src, i) == 0 {
				i++
			}
		case c == '!' && i+1 < len(src) && src[i+1] == '<':
			// A verbatim tag, !<tag:yaml.org,2002:str>, may hold commas.
			for i < len(src) && src[i] != '>' {
				i++
			}
			i++
		case c == '&' || c == '!':
			for i < len(src) && !isSeparator(src[i]) {
				i++
			}
		default:
			return i
		}
	}
	return i
}

// isSeparator ends an anchor or tag: white space, or a flow indicator.
func isSeparator(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', '[', ']', '{', '}':
		return true
	}
	return false
}
