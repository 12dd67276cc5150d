package compose

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/rogpeppe/go-internal/diff"
)

// Diff returns a unified diff (---/+++/@@ hunks, 3 lines of context) of a
// and b, both labelled with name, or "" when they are equal. It applies
// with patch -p0, also when name holds spaces (it is then quoted, as git
// and patch do). The hunks are go-internal's anchored diff: it runs in
// O(n log n), and lines that occur once in each file anchor it.
func Diff(name string, a, b []byte) string {
	label := diffLabel(name)
	out := diff.Diff(label, a, label, b)
	// Its first line, "diff NAME NAME", says nothing the labels do not.
	_, rest, _ := bytes.Cut(out, []byte("\n"))
	return string(rest)
}

// diffLabel is name as a diff header names it: quoted, with C escapes,
// when it holds a space, a quote, a backslash or a control character, as
// git writes such names and GNU patch reads them.
func diffLabel(name string) string {
	if !strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r == 0x7f }) {
		return name
	}
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range []byte(name) {
		switch {
		case c == '"' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c < ' ' || c == 0x7f:
			fmt.Fprintf(&sb, "\\%03o", c)
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
