package compose

import (
	"bytes"
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines shown around a change, as in
// diff -u.
const diffContext = 3

// Diff returns a unified diff (---/+++/@@ hunks, 3 lines of context) of a
// and b, both labelled with name, or "" when they are equal. It applies
// with patch -p0, also when name holds spaces (it is then quoted, as git
// and patch do).
//
// It is written here rather than taken from a library: the one in the
// module graph (github.com/pmezard/go-difflib) is archived. A rewrite
// never adds or removes a line, so a and b of the same line count are
// compared line by line, in time and memory linear in their size; only
// the changed middle of files of different lengths gets a
// longest-common-subsequence table, and a bounded one.
func Diff(name string, a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	al, bl := splitLines(a), splitLines(b)
	ops := editScript(al, bl)
	var sb strings.Builder
	label := diffLabel(name)
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", label, label)
	for i := 0; i < len(ops); {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		// Grow the hunk over changes whose gap is short enough for their
		// contexts to touch, as diff -u does.
		end := i
		for {
			for end < len(ops) && ops[end].kind != ' ' {
				end++
			}
			k := end
			for k < len(ops) && ops[k].kind == ' ' {
				k++
			}
			if k < len(ops) && k-end <= 2*diffContext {
				end = k
				continue
			}
			break
		}
		start := max(i-diffContext, 0)
		stop := min(end+diffContext, len(ops))
		writeHunk(&sb, ops[start:stop], al, bl)
		i = stop
	}
	return sb.String()
}

// op is one line of an edit script: ' ' kept, '-' deleted from a, '+'
// inserted from b. ai and bi are the lines of a and b before it.
type op struct {
	kind   byte
	ai, bi int
}

// splitLines splits s after each newline; the last line may lack one.
func splitLines(s []byte) []string {
	var lines []string
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, string(s))
			break
		}
		lines = append(lines, string(s[:i+1]))
		s = s[i+1:]
	}
	return lines
}

// editScript is a shortest edit script from a to b. The common head and
// tail are cut off first, so the quadratic table only spans the changed
// middle, which for a rewrite is a few lines.
func editScript(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	n, m := len(ma), len(mb)
	var ops []op
	for k := 0; k < pre; k++ {
		ops = append(ops, op{' ', k, k})
	}
	tail := func() []op {
		for k := 0; k < suf; k++ {
			ops = append(ops, op{' ', pre + n + k, pre + m + k})
		}
		return ops
	}
	if n == m {
		// Line for line: each changed line is a deletion and an
		// insertion, runs of them grouped as diff -u groups them.
		for i := 0; i < n; {
			if ma[i] == mb[i] {
				ops = append(ops, op{' ', pre + i, pre + i})
				i++
				continue
			}
			j := i
			for j < n && ma[j] != mb[j] {
				j++
			}
			for k := i; k < j; k++ {
				ops = append(ops, op{'-', pre + k, pre + i})
			}
			for k := i; k < j; k++ {
				ops = append(ops, op{'+', pre + j, pre + k})
			}
			i = j
		}
		return tail()
	}
	if n*m > maxTable {
		// Too large a table: the middle is replaced whole.
		for i := 0; i < n; i++ {
			ops = append(ops, op{'-', pre + i, pre})
		}
		for j := 0; j < m; j++ {
			ops = append(ops, op{'+', pre + n, pre + j})
		}
		return tail()
	}
	// lcs[i][j] is the length of the longest common subsequence of
	// ma[i:] and mb[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if ma[i] == mb[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && ma[i] == mb[j]:
			ops = append(ops, op{' ', pre + i, pre + j})
			i++
			j++
		case j == m || (i < n && lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', pre + i, pre + j})
			i++
		default:
			ops = append(ops, op{'+', pre + i, pre + j})
			j++
		}
	}
	return tail()
}

// maxTable bounds the cells of the longest-common-subsequence table (4
// bytes each).
const maxTable = 1 << 22

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

func writeHunk(sb *strings.Builder, ops []op, a, b []string) {
	na, nb := 0, 0
	for _, o := range ops {
		if o.kind != '+' {
			na++
		}
		if o.kind != '-' {
			nb++
		}
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", hunkRange(ops[0].ai, na), hunkRange(ops[0].bi, nb))
	for _, o := range ops {
		line := ""
		switch o.kind {
		case '+':
			line = b[o.bi]
		default:
			line = a[o.ai]
		}
		sb.WriteByte(o.kind)
		sb.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			sb.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange is a hunk's start,count for count lines after line before.
// diff -u omits a count of 1, and names the line before an empty range.
func hunkRange(before, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", before)
	case 1:
		return fmt.Sprintf("%d", before+1)
	}
	return fmt.Sprintf("%d,%d", before+1, count)
}
