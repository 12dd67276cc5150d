package workflowscan

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// bakeGen writes random bake files from HCL's grammar, mostly valid,
// with the corners where readers differ: templates, escapes, strip
// markers, heredocs, newlines and comments inside collections. Bytes
// fuzzing rarely gets that far past the parser.
type bakeGen struct {
	r     *rand.Rand
	sb    strings.Builder
	depth int
}

func (g *bakeGen) w(s ...string) {
	for _, x := range s {
		g.sb.WriteString(x)
	}
}

func (g *bakeGen) one(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *bakeGen) chance(n int) bool       { return g.r.IntN(n) == 0 }

// sp is where spaces may go: usually one, sometimes none, a tab, or an
// inline comment.
func (g *bakeGen) sp() string {
	return g.one(" ", " ", " ", "", "  ", "\t", " /* c */ ")
}

// nl is where a newline may go inside brackets.
func (g *bakeGen) nl() string {
	return g.one("", "", "", "\n", "\n  ", " # c\n", " // c\n", "\r\n")
}

func (g *bakeGen) file() string {
	for i, n := 0, 1+g.r.IntN(5); i < n; i++ {
		switch g.r.IntN(8) {
		case 0:
			g.w(g.one("# comment\n", "// comment\n", "/* a\n comment */\n", "\n"))
		case 1:
			g.w(g.ident(), g.sp(), "=", g.sp())
			g.expr()
			g.w("\n")
		default:
			g.block(true)
		}
	}
	return g.sb.String()
}

func (g *bakeGen) ident() string {
	return g.one("context", "tags", "args", "platforms", "default", "targets", "inherits", "cache-from", "a", "b_c", "x-1", "dockerfile-inline")
}

func (g *bakeGen) block(top bool) {
	typ := g.one("target", "target", "variable", "group", "function", "other")
	if !top {
		typ = g.one("nested", "target")
	}
	g.w(typ)
	for i, n := 0, g.one("1", "1", "1", "0", "2"); i < int(n[0]-'0'); i++ {
		g.w(" ")
		if g.chance(4) {
			g.w(g.one("web", "api"))
		} else {
			g.w(`"`, g.one("app", "api", "web", "_common", "A", "N", "L", `es\"c`, "$${x}", "u\u00e9"), `"`)
		}
	}
	g.w(g.sp(), "{")
	if g.chance(5) {
		// One attribute on the block's line.
		g.w(g.sp(), g.ident(), g.sp(), "=", g.sp())
		g.expr()
		g.w(g.sp(), "}\n")
		return
	}
	g.w(g.one("\n", " # c\n", "\n\n"))
	for i, n := 0, g.r.IntN(5); i < n; i++ {
		g.w(g.one("  ", "", "\t"))
		if top && g.chance(10) {
			g.block(false)
			continue
		}
		g.w(g.ident(), g.sp(), "=", g.sp())
		g.expr()
		g.w(g.one("\n", " # c\n", " // c\n", "\r\n"))
	}
	g.w("}\n")
}

// expr writes an expression, within the subset bricklayer evaluates
// more often than beyond it.
func (g *bakeGen) expr() {
	g.depth++
	defer func() { g.depth-- }()
	n := 20
	switch {
	case g.depth > 4:
		n = 3 // leaves only
	case g.depth > 2:
		n = 9
	}
	switch g.r.IntN(n) {
	case 0:
		g.w(g.one("0", "1", "42", "1.5", "1.50", "0.1", "1e3", "2.5E-3", "1e+2", "007", "1.e5"))
	case 1:
		g.w(g.one("true", "false", "null"))
	case 2:
		g.w(g.one("A", "N", "T", "NUL", "L", "O", "BIG", "UNDEFINED", "EMPTY"))
	case 3, 4, 5, 6:
		g.quoted()
	case 7:
		g.heredoc()
	case 8:
		g.w("(", g.nl())
		g.expr()
		g.w(g.nl(), ")")
	case 9, 10, 11:
		g.tuple()
	case 12, 13, 14:
		g.object()
	case 15:
		g.w(g.one("upper", "timestamp", "ns::f", "notequal"), "(", g.nl())
		for i, k := 0, g.r.IntN(3); i < k; i++ {
			if i > 0 {
				g.w(",", g.nl())
			}
			g.expr()
		}
		g.w(g.one("", ",", "..."), g.nl(), ")")
	case 16:
		g.w(g.one("-", "!"))
		g.expr()
	case 17:
		g.expr()
		g.w(g.sp(), g.one("+", "==", "&&", "||", "<=", "%", "*", "/", "!="), g.sp())
		g.expr()
	case 18:
		g.expr()
		g.w(g.sp(), "?", g.sp())
		g.expr()
		g.w(g.sp(), ":", g.sp())
		g.expr()
	case 19:
		g.w(g.one("L", "target.a", "O"), g.one("[0]", ".k", ".*.x", "[*]", ".0", `["k"]`, "[A]"))
	}
}

// quoted writes a quoted template.
func (g *bakeGen) quoted() {
	g.w(`"`)
	for i, n := 0, g.r.IntN(5); i < n; i++ {
		switch g.r.IntN(12) {
		case 0, 1, 2:
			g.w(g.one("a", "text", " ", "  ", "ü", "日本", "x y", ":", "{", "}"))
		case 3:
			g.w(g.one(`\n`, `\t`, `\"`, `\\`, `\r`, `\u00e9`, `\U0001F600`, `\u0041`))
		case 4:
			g.w(g.one("$${", "%%{", "$", "%", "$$", "%%", "$x", "%d"))
		case 5, 6, 7, 8:
			g.interp()
		case 9:
			g.w("%{", g.one("", "~"), g.sp(), "if ", g.one("T", "true"), g.sp(), g.one("}", "~}"), "x")
			if g.chance(2) {
				g.w("%{ else }y")
			}
			g.w("%{", g.one("", "~"), " endif ", g.one("}", "~}"))
		case 10:
			g.w("%{ for ", g.one("v", "k, v"), " in L }${v}%{ endfor }")
		case 11:
			g.w(g.one(" \t ", "\t"))
		}
	}
	g.w(`"`)
}

func (g *bakeGen) interp() {
	g.w("${", g.one("", "", "~"), g.one("", " ", "\n"))
	g.expr()
	g.w(g.one("", " ", "\n"), g.one("}", "}", "~}"))
}

// heredoc writes <<EOT or <<-EOT and its lines.
func (g *bakeGen) heredoc() {
	marker := g.one("EOT", "EOF", "X-1")
	flush := g.chance(2)
	g.w("<<")
	if flush {
		g.w("-")
	}
	g.w(marker, g.one("\n", "\n", "\r\n"))
	for i, n := 0, g.r.IntN(5); i < n; i++ {
		g.w(g.one("", "  ", "    ", "\t", " "))
		for j, k := 0, g.r.IntN(3); j < k; j++ {
			switch g.r.IntN(6) {
			case 0, 1, 2:
				g.w(g.one("FROM alpine", "RUN echo", "x", " ", "$${HOME}", "%%{", "$", "\"q\"", `\n`, "ü", "EOTX"))
			case 3, 4:
				g.interp()
			case 5:
				g.w("%{ if T }", g.one("a", "\n"), "%{ endif }")
			}
		}
		g.w(g.one("\n", "\n", "\r\n"))
	}
	g.w(g.one("", "", "  ", "\t"), marker, g.one("", "", " "), "\n")
}

func (g *bakeGen) tuple() {
	g.w("[", g.nl())
	if g.chance(12) {
		g.w("for v in L: v", g.one("", " if T"), "]")
		return
	}
	for i, n := 0, g.r.IntN(4); i < n; i++ {
		if i > 0 {
			g.w(",", g.nl())
		}
		g.expr()
	}
	g.w(g.one("", "", ","), g.nl(), "]")
}

func (g *bakeGen) object() {
	g.w("{", g.one("", "\n", " "))
	if g.chance(12) {
		g.w("for k, v in O: k => v", g.one("", "...", " if T"), "}")
		return
	}
	for i, n := 0, g.r.IntN(4); i < n; i++ {
		if i > 0 {
			g.w(g.one(",", "\n", ", ", ",\n", " # c\n"))
		}
		g.w(g.one("a", "b", `"k"`, `"${A}"`, "(A)", "1", "true", "null", "for", `"x.y"`, "a-b"), g.sp(), g.one("=", ":"), g.sp())
		g.expr()
	}
	g.w(g.one("", "", ",", "\n"), "}")
}

// jsonFile writes a JSON bake file: the shape bake reads, with values
// and names that are templates, duplicates and comments.
func (g *bakeGen) jsonFile() string {
	var v any
	body := func() any {
		m := map[string]any{}
		for i, n := 0, g.r.IntN(4); i < n; i++ {
			m[g.ident()] = g.jsonValue(0)
		}
		if g.chance(5) {
			m["//"] = "comment"
		}
		return m
	}
	blocks := map[string]any{}
	for i, n := 0, 1+g.r.IntN(3); i < n; i++ {
		typ := g.one("target", "variable", "group", "function", "other")
		labels := map[string]any{}
		for j, k := 0, g.r.IntN(3); j < k; j++ {
			switch g.r.IntN(6) {
			case 0:
				labels[g.one("a", "b")] = []any{body(), body()}
			case 1:
				labels[g.one("a", "b")] = g.one("x", "")
			case 2:
				labels[g.one("a", "b")] = nil
			default:
				labels[g.one("a", "b", "$${x}", "${A}")] = body()
			}
		}
		blocks[typ] = labels
		if g.chance(6) {
			blocks[typ] = []any{labels}
		}
	}
	v = blocks
	if g.chance(6) {
		v = []any{blocks, map[string]any{}}
	}
	out, err := json.MarshalIndent(v, "", g.one("  ", "\t", ""))
	if err != nil {
		panic(err)
	}
	s := string(out)
	if g.chance(4) {
		// A name given twice, which encoding/json never writes.
		s = strings.Replace(s, `"context":`, `"context": "dup", "context":`, 1)
	}
	return s
}

func (g *bakeGen) jsonValue(depth int) any {
	switch g.r.IntN(8) {
	case 0:
		return g.one("1", "1.5", "-0", "1e3", "2.50")
	case 1:
		return g.chance(2)
	case 2:
		return nil
	case 3:
		if depth < 2 {
			var l []any
			for i, n := 0, g.r.IntN(3); i < n; i++ {
				l = append(l, g.jsonValue(depth+1))
			}
			return l
		}
	case 4:
		if depth < 2 {
			m := map[string]any{}
			for i, n := 0, g.r.IntN(3); i < n; i++ {
				m[g.one("k", "${A}", "${N}", "${NUL}", "$${x}", "${L}")] = g.jsonValue(depth + 1)
			}
			return m
		}
	}
	var sb strings.Builder
	for i, n := 0, g.r.IntN(4); i < n; i++ {
		sb.WriteString(g.one("x", " ", "${A}", "${~ A ~}", "${N}", "${L}", "${NUL}", "$${A}", "%{ if T }y%{ endif }", "\n", "\r", "\\", "${upper(A)}", "${ \"q\" }", "$", "%", "ü", "${", "}"))
	}
	return sb.String()
}

// TestBakeOracleGenerated holds the reader to HCL on generated files.
func TestBakeOracleGenerated(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	refused, accepted := 0, 0
	for seed := range uint64(n) {
		g := &bakeGen{r: rand.New(rand.NewPCG(seed, 1))}
		src := g.file()
		r := againstHCL(t, "docker-bake.hcl", []byte(src))
		if len(r) == 1 && strings.HasPrefix(r[0], "the file: ") {
			refused++
		} else {
			accepted++
		}
		g = &bakeGen{r: rand.New(rand.NewPCG(seed, 2))}
		againstHCL(t, "docker-bake.json", []byte(g.jsonFile()))
	}
	t.Logf("HCL: %d files read, %d refused", accepted, refused)
	if accepted < n/4 {
		t.Errorf("only %d of %d generated files are read: is the generator right?", accepted, n)
	}
}

// FuzzBakeGenerated explores more generated files, by seed.
func FuzzBakeGenerated(f *testing.F) {
	f.Add(uint64(0))
	f.Fuzz(func(t *testing.T, seed uint64) {
		g := &bakeGen{r: rand.New(rand.NewPCG(seed, 1))}
		src := g.file()
		againstHCL(t, "docker-bake.hcl", []byte(src))
		g = &bakeGen{r: rand.New(rand.NewPCG(seed, 2))}
		againstHCL(t, "docker-bake.json", []byte(g.jsonFile()))
	})
}
