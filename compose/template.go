package compose

import (
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
)

// token is one piece of an interpolated compose value: literal text, or a
// variable reference ($VAR, ${VAR}, ${VAR:-default}, ...).
type token struct {
	raw  string // as written
	lit  string // the literal text, $$ read as $; empty for a variable
	name string // the variable's name; empty for literal text
	op   string // after the name in braces: :- - :+ + :? ? or ""
	arg  string // the default, alternative or error message, as written
}

// The operators of ${NAME<op>arg}, longest first where one is a prefix of
// another.
var templateOps = []string{":-", ":+", ":?", "-", "+", "?"}

// tokenize splits s as the compose specification's interpolation grammar
// reads it: $$ is a literal $, $NAME and ${NAME...} are variables, and a $
// followed by anything else is itself. ok is false for an invalid
// reference (${}, ${1}, ${A B}), which compose refuses too. The grammar is
// compose's (template.DefaultPattern, braces matched as closingBrace
// says); rewrites built from these tokens are checked against compose-go's
// own substitution (checkTemplate), so a disagreement is never written.
func tokenize(s string) (toks []token, ok bool) {
	var lit strings.Builder
	var litRaw strings.Builder
	flush := func() {
		if litRaw.Len() > 0 {
			toks = append(toks, token{raw: litRaw.String(), lit: lit.String()})
			lit.Reset()
			litRaw.Reset()
		}
	}
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 == len(s) {
			lit.WriteByte(s[i])
			litRaw.WriteByte(s[i])
			i++
			continue
		}
		switch c := s[i+1]; {
		case c == '$':
			lit.WriteByte('$')
			litRaw.WriteString("$$")
			i += 2
		case isNameStart(c):
			j := i + 2
			for j < len(s) && isNameChar(s[j]) {
				j++
			}
			flush()
			toks = append(toks, token{raw: s[i:j], name: s[i+1 : j]})
			i = j
		case c == '{':
			end := closingBrace(s[i:])
			if end < 0 {
				return nil, false
			}
			body := s[i+2 : i+end]
			j := 0
			if j == len(body) || !isNameStart(body[0]) {
				return nil, false
			}
			for j < len(body) && isNameChar(body[j]) {
				j++
			}
			t := token{raw: s[i : i+end+1], name: body[:j]}
			if rest := body[j:]; rest != "" {
				for _, op := range templateOps {
					if strings.HasPrefix(rest, op) {
						t.op, t.arg = op, rest[len(op):]
						break
					}
				}
				if t.op == "" {
					return nil, false
				}
			}
			flush()
			toks = append(toks, t)
			i += end + 1
		default:
			lit.WriteByte('$')
			litRaw.WriteByte('$')
			i++
		}
	}
	flush()
	return toks, true
}

// closingBrace is the index in s (which starts with ${) of the brace
// that ends that reference as compose's interpolation reads it, or -1.
// Braces nest, and compose steps over the character after each opening
// brace without looking at it: in ${A:-{}x} the first } is stepped over
// and nothing closes the reference. TestClosingBrace holds this to
// compose-go's substitution.
func closingBrace(s string) int {
	depth := 0
	skip := false
	for i, c := range []byte(s) {
		switch {
		case skip:
			skip = false
		case c == '{':
			depth++
			skip = true
		case c == '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func isNameStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isNameChar(c byte) bool { return isNameStart(c) || '0' <= c && c <= '9' }

// join is the raw text of toks.
func join(toks []token) string {
	var sb strings.Builder
	for _, t := range toks {
		sb.WriteString(t.raw)
	}
	return sb.String()
}

// literalToken is a literal token whose raw text is lit (lit holds no $).
func literalToken(lit string) token { return token{raw: lit, lit: lit} }

// expand is s with the variables replaced as compose replaces them,
// through compose-go's template package, without its warnings.
func expand(s string, vars map[string]string) (string, error) {
	return template.SubstituteWithOptions(s, func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}, template.WithoutLogging)
}

// evaluate is what toks come to with vars, as these tokens read them:
// the reference of compose-go's result, for the forms rewrites handle.
func evaluate(toks []token, vars map[string]string) (string, bool) {
	var sb strings.Builder
	for _, t := range toks {
		if t.name == "" {
			sb.WriteString(t.lit)
			continue
		}
		v, set := vars[t.name]
		switch t.op {
		case "":
			sb.WriteString(v)
		case ":-", "-":
			if !set || t.op == ":-" && v == "" {
				if strings.Contains(t.arg, "$") {
					return "", false
				}
				v = t.arg
			}
			sb.WriteString(v)
		default:
			return "", false
		}
	}
	return sb.String(), true
}

// checkTemplate tells whether compose-go reads old and new the way these
// tokens do, for every variable set to sample and for every variable
// unset: a rewrite is written only when both agree with it.
func checkTemplate(oldToks, newToks []token) bool {
	names := map[string]bool{}
	for _, t := range append(append([]token(nil), oldToks...), newToks...) {
		if t.name != "" {
			names[t.name] = true
		}
	}
	set := map[string]string{}
	for n := range names {
		set[n] = "1.2.3"
	}
	for _, vars := range []map[string]string{set, {}} {
		for _, toks := range [][]token{oldToks, newToks} {
			want, ok := evaluate(toks, vars)
			if !ok {
				return false
			}
			got, err := expand(join(toks), vars)
			if err != nil || got != want {
				return false
			}
		}
	}
	return true
}
