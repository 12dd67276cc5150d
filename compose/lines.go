package compose

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	yaml4 "go.yaml.in/yaml/v4"
	"gopkg.in/yaml.v3"
)

// PosError is a mistake at a place in a compose file: Line and Column are
// 1-based, the column counted in characters as YAML does. The caller
// prefixes the file name, so a user reads FILE:LINE:COL: message.
type PosError struct {
	Line, Column int
	Msg          string
	// Err, if set, is the kind of mistake, for errors.Is; Msg says it.
	Err error
}

func (e *PosError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg) }

func (e *PosError) Unwrap() error { return e.Err }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &PosError{Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}

// The line breaks YAML 1.1 (yaml.v3, libyaml) counts besides LF and CR:
// NEL, LS and PS. A file with one of them in a comment still parses, and
// every later position counts it as a line.
var (
	nel = []byte("\u0085")
	ls  = []byte("\u2028")
	ps  = []byte("\u2029")
)

// breakLen is the length of the line break at src[i], or 0. CRLF is one
// break.
func breakLen(src []byte, i int) int {
	switch c := src[i]; {
	case c == '\n':
		return 1
	case c == '\r':
		if i+1 < len(src) && src[i+1] == '\n' {
			return 2
		}
		return 1
	case c == 0xC2 && bytes.HasPrefix(src[i:], nel):
		return len(nel)
	case c == 0xE2 && (bytes.HasPrefix(src[i:], ls) || bytes.HasPrefix(src[i:], ps)):
		return len(ls)
	}
	return 0
}

// lineStarts are the byte offsets at which the lines of src begin, lines
// being broken where YAML breaks them.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i := 0; i < len(src); {
		if n := breakLen(src, i); n > 0 {
			i += n
			starts = append(starts, i)
			continue
		}
		i++
	}
	return starts
}

// lineOf is the 1-based line holding byte offset off.
func lineOf(starts []int, off int) int {
	return sort.Search(len(starts), func(i int) bool { return starts[i] > off })
}

// position is the 1-based line and character column of byte offset off.
func position(src []byte, starts []int, off int) (line, col int) {
	line = lineOf(starts, off)
	start := starts[line-1]
	if line == 1 && bytes.HasPrefix(src, []byte("\uFEFF")) {
		start += len("\uFEFF")
	}
	return line, utf8.RuneCount(src[start:min(max(off, start), len(src))]) + 1
}

// offset turns a yaml.v3 position into a byte offset. yaml.v3 counts
// columns in characters, not bytes, so the line is walked rune by rune.
func offset(src []byte, starts []int, line, column int) (int, error) {
	if line < 1 || line > len(starts) {
		return 0, fmt.Errorf("line %d is out of the source", line)
	}
	off := starts[line-1]
	// yaml.v3 skips a leading byte order mark without counting it.
	if line == 1 && bytes.HasPrefix(src, []byte("\uFEFF")) {
		off += len("\uFEFF")
	}
	for c := 1; c < column; c++ {
		if off >= len(src) || breakLen(src, off) > 0 {
			return 0, fmt.Errorf("column %d is past the end of line %d", column, line)
		}
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	return off, nil
}

// syntaxError is src's YAML syntax error err (from yaml.v3) at the place
// the parser found the problem. yaml.v3's message names the line of the
// construct being parsed (a block mapping begun on line 1) rather than the
// line of the problem; go.yaml.in/yaml/v4, the same parser, keeps both
// marks in its error, so the source is parsed again with it to read them.
func syntaxError(src []byte, err error) error {
	dec := yaml4.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml4.Node
		err4 := dec.Decode(&n)
		if err4 == nil {
			continue
		}
		if off, msg, ok := markOf(src, err4); ok {
			starts := lineStarts(src)
			line, col := position(src, starts, off)
			return &PosError{Line: line, Column: col, Msg: msg}
		}
		break // end of stream, or an error of another shape
	}
	// Errors found after parsing (an unknown anchor) have no mark; the
	// line yaml.v3 names, or the first place the anchor is used, then.
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	starts := lineStarts(src)
	if m := lineRE().FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &PosError{Line: min(max(line, 1), len(starts)), Column: 1, Msg: strings.TrimPrefix(msg, m[0])}
	}
	if m := anchorRE().FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(src, []byte("*"+m[1])); i >= 0 {
			line, col := position(src, starts, i)
			return &PosError{Line: line, Column: col, Msg: msg}
		}
	}
	return &PosError{Line: 1, Column: 1, Msg: msg}
}

// Compiled on first use, as the package's other regexps: every command
// links this package, few read a compose file.
var (
	lineRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^line ([0-9]+): `) })
	anchorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^unknown anchor '(.*)' referenced$`) })
)

// markOf reads the problem's character index and message from a v4
// parser or scanner error. Their types are internal to the module, so
// their exported fields are read by reflection; ok is false for any
// other shape.
func markOf(src []byte, err error) (off int, msg string, ok bool) {
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Struct {
		return 0, "", false
	}
	// A reader error: bytes that are no UTF-8, at a byte offset.
	if o, e := v.FieldByName("Offset"), v.FieldByName("Err"); o.IsValid() && o.CanInt() && e.IsValid() && e.CanInterface() {
		if inner, isErr := e.Interface().(error); isErr && inner != nil {
			return min(max(int(o.Int()), 0), len(src)), inner.Error(), true
		}
	}
	mark, message := v.FieldByName("Mark"), v.FieldByName("Message")
	ctxMark, ctxMessage := v.FieldByName("ContextMark"), v.FieldByName("ContextMessage")
	if !mark.IsValid() || mark.Kind() != reflect.Struct || message.Kind() != reflect.String {
		return 0, "", false
	}
	index := mark.FieldByName("Index")
	if !index.IsValid() || !index.CanInt() {
		return 0, "", false
	}
	msg = message.String()
	off = runeOffset(src, int(index.Int()))
	if ctxMessage.IsValid() && ctxMessage.Kind() == reflect.String && ctxMessage.String() != "" && ctxMark.IsValid() {
		if ci := ctxMark.FieldByName("Index"); ci.IsValid() && ci.CanInt() {
			ctxOff := runeOffset(src, int(ci.Int()))
			if ctxMessage.String() == "while scanning a simple key" {
				// The scanner notices a key without ':' on a later
				// line; the mistake is the key.
				return ctxOff, msg + " after this key", true
			}
			l, c := position(src, lineStarts(src), ctxOff)
			msg = fmt.Sprintf("%s (%s begun at %d:%d)", msg, ctxMessage.String(), l, c)
		}
	}
	return off, msg, true
}

// runeOffset is the byte offset of the n-th character of src (libyaml
// counts its marks in characters), a byte order mark not counted.
func runeOffset(src []byte, n int) int {
	off := 0
	if bytes.HasPrefix(src, []byte("\uFEFF")) {
		off = len("\uFEFF")
	}
	for ; n > 0 && off < len(src); n-- {
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	return off
}
