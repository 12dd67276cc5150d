package spec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// specError is a check that failed on a value of the spec. It implements
// cue/errors.Error so schema errors and ours print the same way.
type specError struct {
	pos  token.Pos
	path []string
	msg  string
}

func (e *specError) Position() token.Pos         { return e.pos }
func (e *specError) InputPositions() []token.Pos { return nil }
func (e *specError) Error() string               { return e.msg }
func (e *specError) Path() []string              { return e.path }
func (e *specError) Msg() (string, []interface{}) {
	return "%s", []interface{}{e.msg}
}

// errorList collects every error of a load, so a user sees them all at once.
type errorList struct {
	errs     errors.Error
	warnings errors.Error
	// user is the spec as written: errors that CUE reports without a
	// position in the user's file get the position of their path in it,
	// or else fallback, the file's first declaration.
	user     cue.Value
	fallback token.Pos
	// file is the syntax of the spec: where the spec did not evaluate
	// (a structural cycle), positions are found in it by path.
	file *ast.File
	// explained are paths whose mistake has been said in our words; CUE's
	// own errors about them are dropped.
	explained map[string]bool
}

func (l *errorList) add(err error) {
	for _, e := range errors.Errors(err) {
		if isDisjunctionHeader(e) {
			continue // its branches follow as errors of their own
		}
		if l.explained[strings.Join(e.Path(), ".")] {
			continue
		}
		if p := userPos(e); !p.IsValid() || isSchemaPos(p) {
			format, args := e.Msg()
			e = &specError{pos: l.posOf(e.Path()), path: e.Path(), msg: fmt.Sprintf(format, args...)}
		}
		l.errs = errors.Append(l.errs, e)
	}
}

// posOf is the position of the nearest value on path that the user wrote.
func (l *errorList) posOf(path []string) token.Pos {
	if !l.user.Exists() {
		if p := syntaxPos(l.file, path); p.IsValid() {
			return p
		}
		return l.fallback
	}
	for n := len(path); n >= 0; n-- {
		sels := make([]cue.Selector, n)
		for i, p := range path[:n] {
			if isIndex(p) {
				idx, _ := strconv.Atoi(p)
				sels[i] = cue.Index(idx)
			} else {
				sels[i] = cue.Str(p)
			}
		}
		if v := l.user.LookupPath(cue.MakePath(sels...)); v.Exists() && v.Pos().IsValid() {
			return v.Pos()
		}
	}
	return l.fallback
}

// syntaxPos is the position of the field at path as written in f (the
// deepest one of path found), or none. Only fields written as nested
// structs or dotted labels are found, which is how a spec is written.
func syntaxPos(f *ast.File, path []string) token.Pos {
	if f == nil {
		return token.NoPos
	}
	var found token.Pos
	decls := f.Decls
	for _, name := range path {
		var level token.Pos
		var next []ast.Decl
		for _, d := range decls {
			field, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			if label, _, err := ast.LabelName(field.Label); err != nil || label != name {
				continue
			}
			if !level.IsValid() {
				level = field.Pos()
			}
			if st, ok := field.Value.(*ast.StructLit); ok {
				next = append(next, st.Elts...)
			}
		}
		if !level.IsValid() {
			break
		}
		found, decls = level, next
	}
	return found
}

// at records an error about the value found at l.
func (l *errorList) at(where loc, format string, args ...any) {
	if !where.pos.IsValid() {
		where.pos = l.posOf(where.path)
	}
	l.errs = errors.Append(l.errs, &specError{pos: where.pos, path: where.path, msg: fmt.Sprintf(format, args...)})
}

// warn records a warning about the value at where.
func (l *errorList) warn(where loc, format string, args ...any) {
	if !where.pos.IsValid() {
		where.pos = l.posOf(where.path)
	}
	l.warnings = errors.Append(l.warnings, &specError{pos: where.pos, path: where.path, msg: "warning: " + fmt.Sprintf(format, args...)})
}

func (l *errorList) err() error {
	if l.errs == nil {
		return nil
	}
	return l.errs
}

// loc is where a value of the spec is: its position and its path.
type loc struct {
	pos  token.Pos
	path []string
}

func locOf(v cue.Value) loc {
	sels := v.Path().Selectors()
	path := make([]string, len(sels))
	for i, s := range sels {
		path[i] = selString(s)
	}
	return loc{pos: v.Pos(), path: path}
}

// selString is a selector as a path element: an index's number, a
// field's unquoted name, or CUE's own spelling of anything else.
func selString(s cue.Selector) string {
	switch {
	case s.Type()&cue.IndexLabel != 0 && !s.IsConstraint():
		return strconv.Itoa(s.Index())
	case s.IsString():
		return s.Unquoted()
	}
	return s.String()
}

// child is the location of a field of l that may not exist in the file.
func (l loc) child(sel ...string) loc {
	return loc{pos: l.pos, path: append(append([]string(nil), l.path...), sel...)}
}

func (l loc) String() string { return FormatPath(l.path) }

// FormatPath renders a CUE error path as the user writes it:
// images.ui.tags[1], images.ui.platform."linux/arm/v7".args.
func FormatPath(path []string) string {
	var b strings.Builder
	for i, p := range path {
		switch {
		case isIndex(p):
			b.WriteString("[" + p + "]")
			continue
		case i > 0:
			b.WriteByte('.')
		}
		if isIdent(p) {
			b.WriteString(p)
		} else {
			b.WriteString(strconv.Quote(p))
		}
	}
	return b.String()
}

func isIndex(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil && s != "" && s[0] != '-'
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '"' { // already quoted by CUE
		return true
	}
	for i, r := range s {
		switch {
		case r == '_' || r == '$' || r == '#' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}

// Diagnostic is one error of a spec, ready to print.
type Diagnostic struct {
	File      string // empty when the error has no position
	Line, Col int
	Path      string
	Message   string
}

func (d Diagnostic) String() string {
	var b strings.Builder
	if d.File != "" {
		fmt.Fprintf(&b, "%s:%d:%d: ", d.File, d.Line, d.Col)
	}
	if d.Path != "" {
		b.WriteString(d.Path + ": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Diagnostics flattens err (from Load) into one Diagnostic per mistake,
// sorted by position. Positions inside the embedded schema are only used
// when the error has none in the user's files.
func Diagnostics(err error) []Diagnostic {
	var out []Diagnostic
	seen := map[string]int{} // path and message -> index in out
	for _, e := range errors.Errors(err) {
		if isDisjunctionHeader(e) {
			continue // its branches follow as errors of their own
		}
		d := Diagnostic{Path: FormatPath(e.Path())}
		format, args := e.Msg()
		d.Message = fmt.Sprintf(format, args...)
		pos := userPos(e)
		if pos.IsValid() {
			d.File, d.Line, d.Col = pos.Filename(), pos.Line(), pos.Column()
		}
		// CUE may report one mistake more than once, with a position in
		// the schema or none; keep the report that points at the user.
		key := d.Path + "\x00" + d.Message
		if i, ok := seen[key]; ok {
			if out[i].File == "" || (isSchemaFile(out[i].File) && pos.IsValid() && !isSchemaPos(pos)) {
				out[i] = d
			}
			continue
		}
		seen[key] = len(out)
		out = append(out, d)
	}
	// Under a field that is not allowed, CUE reports its contents as not
	// allowed too; the one error at the top says it all.
	var refused []string
	for _, d := range out {
		if d.Message == "field not allowed" || strings.HasPrefix(d.Message, "invalid name ") {
			refused = append(refused, d.Path)
		}
	}
	kept := out[:0]
	for _, d := range out {
		if !under(d.Path, refused, d.Message) {
			kept = append(kept, d)
		}
	}
	out = kept
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Path < b.Path
	})
	return out
}

func userPos(e errors.Error) token.Pos {
	var fallback token.Pos
	for _, p := range append([]token.Pos{e.Position()}, errors.Positions(e)...) {
		if !p.IsValid() {
			continue
		}
		if !isSchemaPos(p) {
			return p
		}
		if !fallback.IsValid() {
			fallback = p
		}
	}
	return fallback
}

// isDisjunctionHeader tells CUE's "N errors in empty disjunction:" line,
// which has no position and only announces the errors of each branch.
func isDisjunctionHeader(e errors.Error) bool {
	format, _ := e.Msg()
	return strings.HasSuffix(format, "errors in empty disjunction:")
}

// under tells whether path lies inside one of the refused paths (or is
// one, for a second, plainer report of the same refusal).
func under(path string, refused []string, msg string) bool {
	for _, r := range refused {
		if strings.HasPrefix(path, r) && len(path) > len(r) && (path[len(r)] == '.' || path[len(r)] == '[') {
			return true
		}
		if path == r && msg == "field not allowed" && !onlyOnce(refused, r) {
			return true
		}
	}
	return false
}

func onlyOnce(list []string, s string) bool {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n == 1
}

// FromError is err, a problem with the base the stage's from names (a
// lock without it, say), at that from.
func (s *Stage) FromError(err error) error {
	return &specError{pos: s.fromLoc.pos, path: s.fromLoc.path, msg: err.Error()}
}

// FromError is err, a problem with the image the copy step's from names,
// at that from.
func (s *Step) FromError(err error) error {
	return &specError{pos: s.fromLoc.pos, path: s.fromLoc.path, msg: err.Error()}
}
