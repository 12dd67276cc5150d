package workflowscan

import (
	"maps"
	"math/big"
	"slices"
	"strings"
	"unicode"
)

// kind is the type of a bake value.
type kind uint8

const (
	kNull kind = iota
	kString
	kNumber
	kBool
	kList
	kObject
)

// value is what a bake expression evaluates to: the types bake files
// write (strings, numbers, bools, null, lists and objects).
type value struct {
	kind  kind
	s     string // a string, a number as bake prints it, or "true"/"false"
	elems []value
	attrs map[string]value
}

func stringVal(s string) value { return value{kind: kString, s: s} }

func boolVal(b bool) value {
	if b {
		return value{kind: kBool, s: "true"}
	}
	return value{kind: kBool, s: "false"}
}

// maxExp bounds the binary exponent of the numbers the reader
// evaluates: printed without an exponent, as bake prints them, 1e300000
// would take 300 kB.
const maxExp = 4096

// numberLit is a numeric literal's expression: a number read as bake
// reads it, to 512 bits and printed in the fewest digits that read back
// to it; one too large to print is left unevaluated. ok is false when
// lit is not a number.
func numberLit(lit string) (e expr, ok bool) {
	f, _, err := big.ParseFloat(lit, 10, 512, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	if exp := f.MantExp(nil); exp > maxExp || exp < -maxExp {
		return exprOther{}, true
	}
	return exprLit{value{kind: kNumber, s: f.Text('f', -1)}}, true
}

// primitive tells whether v converts to a string.
func (v value) primitive() bool {
	return v.kind == kString || v.kind == kNumber || v.kind == kBool
}

// equal tells whether two values are the same.
func (v value) equal(w value) bool {
	if v.kind != w.kind || v.s != w.s || len(v.elems) != len(w.elems) || len(v.attrs) != len(w.attrs) {
		return false
	}
	for i := range v.elems {
		if !v.elems[i].equal(w.elems[i]) {
			return false
		}
	}
	for k, x := range v.attrs {
		y, ok := w.attrs[k]
		if !ok || !x.equal(y) {
			return false
		}
	}
	return true
}

// String shows v for tests and messages, in bake's syntax.
func (v value) String() string {
	switch v.kind {
	case kNull:
		return "null"
	case kString:
		return `"` + v.s + `"`
	case kList:
		var parts []string
		for _, e := range v.elems {
			parts = append(parts, e.String())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case kObject:
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(v.attrs)) {
			parts = append(parts, `"`+k+`" = `+v.attrs[k].String())
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return v.s
}

// scope is the variables an expression may use; nil evaluates literals
// only, as bake does a variable's default.
type scope map[string]value

// expr is a parsed expression. eval is false for what the reader does
// not evaluate: a function call, an operator, a reference to another
// target, a for expression, or a value of the wrong type.
type expr interface {
	eval(sc scope) (value, bool)
}

// exprOther is an expression outside what the reader evaluates.
type exprOther struct{}

func (exprOther) eval(scope) (value, bool) { return value{}, false }

// exprLit is a number, true, false or null.
type exprLit struct{ v value }

func (e exprLit) eval(scope) (value, bool) { return e.v, true }

// exprVar is a variable's name.
type exprVar struct{ name string }

func (e exprVar) eval(sc scope) (value, bool) {
	v, ok := sc[e.name]
	return v, ok
}

// exprParen is an expression in parentheses.
type exprParen struct{ e expr }

func (e exprParen) eval(sc scope) (value, bool) { return e.e.eval(sc) }

// exprNeg is -x, of a number x.
type exprNeg struct{ e expr }

func (e exprNeg) eval(sc scope) (value, bool) {
	v, ok := e.e.eval(sc)
	if !ok || v.kind != kNumber {
		return value{}, false
	}
	if s, neg := strings.CutPrefix(v.s, "-"); neg {
		v.s = s
	} else {
		v.s = "-" + v.s
	}
	return v, true
}

// exprTuple is [a, b, ...].
type exprTuple struct{ elems []expr }

func (e exprTuple) eval(sc scope) (value, bool) {
	out := value{kind: kList, elems: []value{}}
	for _, x := range e.elems {
		v, ok := x.eval(sc)
		if !ok {
			return value{}, false
		}
		out.elems = append(out.elems, v)
	}
	return out, true
}

// objItem is one key = value of an object; a key written as a bare
// name is that name, any other key is an expression.
type objItem struct {
	name string
	key  expr
	val  expr
}

// exprObject is { k = v, ... } in the native syntax, where a key given
// twice takes its last value.
type exprObject struct{ items []objItem }

func (e exprObject) eval(sc scope) (value, bool) {
	out := value{kind: kObject, attrs: map[string]value{}}
	for _, it := range e.items {
		name := it.name
		if it.key != nil {
			k, ok := it.key.eval(sc)
			if !ok || !k.primitive() {
				return value{}, false
			}
			name = k.s
		}
		v, ok := it.val.eval(sc)
		if !ok {
			return value{}, false
		}
		out.attrs[name] = v
	}
	return out, true
}

// tpart is a piece of a template: literal text, or an interpolation.
type tpart struct {
	lit    string
	interp expr // nil for literal text
}

// exprTemplate is a string with interpolations. unwrap is set when it
// is one interpolation alone, whose value it then is, of any type.
type exprTemplate struct {
	parts  []tpart
	unwrap bool
}

func (e exprTemplate) eval(sc scope) (value, bool) {
	if e.unwrap {
		return e.parts[0].interp.eval(sc)
	}
	var sb strings.Builder
	for _, p := range e.parts {
		if p.interp == nil {
			sb.WriteString(p.lit)
			continue
		}
		v, ok := p.interp.eval(sc)
		if !ok || !v.primitive() {
			return value{}, false
		}
		sb.WriteString(v.s)
	}
	return stringVal(sb.String()), true
}

// trimSpace are the strip markers' trims (${~ and ~}).
func trimLeftSpace(s string) string  { return strings.TrimLeftFunc(s, unicode.IsSpace) }
func trimRightSpace(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }
