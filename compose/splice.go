package compose

import (
	"bytes"
	"fmt"
	"sort"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// lineStarts are the byte offsets at which the lines of src begin.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineOf is the 1-based line holding byte offset off.
func lineOf(starts []int, off int) int {
	return sort.Search(len(starts), func(i int) bool { return starts[i] > off })
}

// offset turns a yaml.v3 position into a byte offset. yaml.v3 counts
// columns in characters, not bytes, so the line is walked rune by rune.
func offset(src []byte, starts []int, line, column int) (int, error) {
	if line < 1 || line > len(starts) {
		return 0, fmt.Errorf("compose: line %d is out of the source", line)
	}
	off := starts[line-1]
	// yaml.v3 skips a leading byte order mark without counting it.
	if line == 1 && bytes.HasPrefix(src, []byte("\uFEFF")) {
		off += len("\uFEFF")
	}
	for c := 1; c < column; c++ {
		if off >= len(src) || src[off] == '\n' {
			return 0, fmt.Errorf("compose: column %d is past the end of line %d", column, line)
		}
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	return off, nil
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
		return edit{}, fmt.Errorf("compose: line %d: cannot find the image %q in the source: %s", n.Line, n.Value, what)
	}
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
		// Reference characters need no escaping, so the new text is the
		// value between quotes even where the old one used escapes.
		return edit{start, end + 1, `"` + to + `"`}, nil
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
		return edit{start, end + 1, `'` + to + `'`}, nil
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		// A block scalar's text begins on the line after its | or >
		// header; a reference has no spaces, so it sits there verbatim.
		nl := bytes.IndexByte(src[start:], '\n')
		if nl < 0 {
			return fail("no content after the block header")
		}
		body := start + nl + 1
		i := bytes.Index(src[body:], []byte(n.Value))
		if i < 0 {
			return fail("not in the block")
		}
		return edit{body + i, body + i + len(n.Value), to}, nil
	default:
		if !bytes.HasPrefix(src[start:], []byte(n.Value)) {
			return fail("the plain text differs")
		}
		return edit{start, start + len(n.Value), to}, nil
	}
}

// skipProperties steps over the anchor and tag of a node, and the spaces,
// line breaks and comments that may follow them, to its content. Content
// never begins with &, ! or #, so this is a no-op on a node without them.
func skipProperties(src []byte, i int) int {
	for i < len(src) {
		switch c := src[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
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
