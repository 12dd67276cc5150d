package workflowscan

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"golang.org/x/tools/txtar"
)

// The oracle is HashiCorp's HCL, which docker buildx bake reads its
// files with. It is linked by these tests only: its package inits cost
// every bricklayer command start-up time.

// bakeModel is what a reader makes of a bake file: its blocks, and what
// of them is not read.
type bakeModel struct {
	blocks []modelBlock
	diags  []string // "LINE: message"
}

type modelBlock struct {
	typ, name string
	line      int
	attrs     []modelAttr
}

// modelAttr is an attribute with its value in the test's scope and as a
// literal (a variable's default); nil where it is not evaluated.
type modelAttr struct {
	name     string
	line     int
	val, lit *value
}

// oracleVars are the variables the models evaluate with: one of each
// type a bake variable can have.
func oracleVars() map[string]cty.Value {
	return map[string]cty.Value{
		"A":        cty.StringVal("a"),
		"EMPTY":    cty.StringVal(""),
		"REGISTRY": cty.StringVal("ghcr.io/acme"),
		"TAG":      cty.StringVal("${{ github.ref_name }}"),
		"N":        cty.NumberFloatVal(1.5),
		"BIG":      cty.MustParseNumberVal("12345678901234567890.000001"),
		"T":        cty.True,
		"NUL":      cty.NullVal(cty.DynamicPseudoType),
		"L":        cty.TupleVal([]cty.Value{cty.StringVal("x"), cty.StringVal("y")}),
		"O":        cty.ObjectVal(map[string]cty.Value{"k": cty.StringVal("v")}),
	}
}

// fromCty is the oracle's value in ours; ok is false for an unknown.
func fromCty(v cty.Value) (value, bool) {
	if !v.IsWhollyKnown() {
		return value{}, false
	}
	if v.IsNull() {
		return value{kind: kNull}, true
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return stringVal(v.AsString()), true
	case ty == cty.Bool:
		return boolVal(v.True()), true
	case ty == cty.Number:
		if exp := v.AsBigFloat().MantExp(nil); exp > maxExp || exp < -maxExp {
			return value{}, false // too long to print; bricklayer does not evaluate it
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			return value{}, false
		}
		return value{kind: kNumber, s: s.AsString()}, true
	case ty.IsTupleType() || ty.IsListType() || ty.IsSetType():
		out := value{kind: kList, elems: []value{}}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			ev, ok := fromCty(e)
			if !ok {
				return value{}, false
			}
			out.elems = append(out.elems, ev)
		}
		return out, true
	case ty.IsObjectType() || ty.IsMapType():
		out := value{kind: kObject, attrs: map[string]value{}}
		for k, e := range v.AsValueMap() {
			ev, ok := fromCty(e)
			if !ok {
				return value{}, false
			}
			out.attrs[k] = ev
		}
		return out, true
	}
	return value{}, false
}

func testScope(t testing.TB) scope {
	sc := scope{}
	for k, v := range oracleVars() {
		ev, ok := fromCty(v)
		if !ok {
			t.Fatalf("variable %s: %#v", k, v)
		}
		sc[k] = ev
	}
	return sc
}

// ourModel is what bricklayer's reader makes of src.
func ourModel(t testing.TB, name string, src []byte) (*bakeModel, *hclError) {
	c, err := readBakeFile(name, src)
	if err != nil {
		return nil, err
	}
	sc := testScope(t)
	m := &bakeModel{}
	for _, d := range c.diags {
		m.diags = append(m.diags, fmt.Sprintf("%d: %s", d.line, d.msg))
	}
	for _, b := range c.blocks {
		mb := modelBlock{typ: b.typ, name: b.name, line: b.line}
		for _, a := range b.attrs {
			ma := modelAttr{name: a.name, line: a.line}
			if v, ok := a.expr.eval(sc); ok {
				ma.val = &v
			}
			if v, ok := a.expr.eval(nil); ok {
				ma.lit = &v
			}
			mb.attrs = append(mb.attrs, ma)
		}
		m.blocks = append(m.blocks, mb)
	}
	return m, nil
}

// hclModel is what HCL makes of src, read the way bake reads it (with
// PartialContent, then JustAttributes in the order written). A panic
// of HCL counts as an error.
func hclModel(name string, src []byte) (m *bakeModel, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("hcl panics: %v", r)
		}
	}()
	var file *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(name, ".json") {
		file, diags = hcljson.Parse(src, name)
	} else {
		file, diags = hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	schema := &hcl.BodySchema{}
	for _, typ := range bakeBlockTypes {
		schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: typ, LabelNames: []string{"name"}})
	}
	content, _, diags := file.Body.PartialContent(schema)
	// HCL prints a number with a large exponent in full when it makes a
	// string of it, which takes as long as it is long.
	evaluate := !hugeExponent.Match(src)
	m = &bakeModel{}
	for _, d := range diags.Errs() {
		hd := d.(*hcl.Diagnostic)
		m.diags = append(m.diags, fmt.Sprintf("%d: %s: %s", hd.Subject.Start.Line, hd.Summary, hd.Detail))
	}
	ctx := &hcl.EvalContext{Variables: oracleVars()}
	for _, b := range content.Blocks {
		mb := modelBlock{typ: b.Type, name: b.Labels[0], line: b.DefRange.Start.Line}
		attrs, _ := b.Body.JustAttributes()
		sorted := slices.SortedFunc(func(yield func(*hcl.Attribute) bool) {
			for _, a := range attrs {
				if !yield(a) {
					return
				}
			}
		}, func(a, b *hcl.Attribute) int { return a.Range.Start.Byte - b.Range.Start.Byte })
		for _, a := range sorted {
			ma := modelAttr{name: a.Name, line: a.Range.Start.Line}
			for _, ev := range []struct {
				ctx *hcl.EvalContext
				to  **value
			}{{ctx, &ma.val}, {nil, &ma.lit}} {
				if !evaluate {
					continue
				}
				v, diags := a.Expr.Value(ev.ctx)
				if diags.HasErrors() {
					continue
				}
				if x, ok := fromCty(v); ok {
					*ev.to = &x
				}
			}
			mb.attrs = append(mb.attrs, ma)
		}
		m.blocks = append(m.blocks, mb)
	}
	return m, nil
}

var hugeExponent = regexp.MustCompile(`[eE][+-]?0*[1-9][0-9]{4}`)

// againstHCL is the oracle: a file bricklayer reads, HCL reads too, to
// the same blocks and attributes at the same lines, and every value
// bricklayer evaluates HCL evaluates the same. bricklayer may refuse a
// file HCL reads, or leave a value unevaluated that HCL evaluates (a
// function call, an operator), never differ. It returns the attributes
// HCL evaluates and bricklayer does not, "LINE name".
func againstHCL(t testing.TB, name string, src []byte) (refused []string) {
	t.Helper()
	ours, err := ourModel(t, name, src)
	if err != nil {
		if err.line < 1 || err.msg == "" {
			t.Fatalf("an error without a line or message: %#v\ninput: %q", err, src)
		}
		return []string{"the file: " + err.Error()}
	}
	theirs, herr := hclModel(name, src)
	if herr == nil && hugeExponent.Match(src) {
		// HCL is not asked for values: compare the rest.
		for _, b := range ours.blocks {
			for i := range b.attrs {
				b.attrs[i].val, b.attrs[i].lit = nil, nil
			}
		}
	}
	if herr != nil {
		t.Fatalf("bricklayer reads it, HCL does not: %v\ninput: %q", herr, src)
	}
	if !slices.Equal(ours.diags, theirs.diags) {
		t.Fatalf("what is not read differs:\nbricklayer: %q\nhcl:        %q\ninput: %q", ours.diags, theirs.diags, src)
	}
	if len(ours.blocks) != len(theirs.blocks) {
		t.Fatalf("bricklayer reads %d blocks, HCL %d\ninput: %q", len(ours.blocks), len(theirs.blocks), src)
	}
	for i, b := range ours.blocks {
		h := theirs.blocks[i]
		if b.typ != h.typ || b.name != h.name || b.line != h.line || len(b.attrs) != len(h.attrs) {
			t.Fatalf("block %d: bricklayer %s %q at %d with %d attributes, HCL %s %q at %d with %d\ninput: %q",
				i, b.typ, b.name, b.line, len(b.attrs), h.typ, h.name, h.line, len(h.attrs), src)
		}
		for j, a := range b.attrs {
			ha := h.attrs[j]
			if a.name != ha.name || a.line != ha.line {
				t.Fatalf("%s %q: attribute %s at %d, HCL's %s at %d\ninput: %q", b.typ, b.name, a.name, a.line, ha.name, ha.line, src)
			}
			for _, v := range []struct {
				mode       string
				ours, hcls *value
			}{{"with variables", a.val, ha.val}, {"as a literal", a.lit, ha.lit}} {
				switch {
				case v.ours != nil && (v.hcls == nil || !v.ours.equal(*v.hcls)):
					t.Fatalf("%s %q: %s %s: bricklayer %v, HCL %v\ninput: %q", b.typ, b.name, a.name, v.mode, v.ours, v.hcls, src)
				case v.ours == nil && v.hcls != nil:
					refused = append(refused, fmt.Sprintf("%d %s %s", a.line, a.name, v.mode))
				}
			}
		}
	}
	return refused
}

// bakeSeeds are bake files: those of init's scripts, and the syntax
// bake files use, by name (.hcl or .json).
func bakeSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	scripts, _ := filepath.Glob("../../testdata/script/init_*.txtar")
	for _, s := range scripts {
		ar, err := txtar.ParseFile(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if strings.HasSuffix(f.Name, ".hcl") || strings.HasSuffix(f.Name, ".json") {
				seeds[filepath.Base(s)+"/"+f.Name] = f.Data
			}
		}
	}
	if len(seeds) < 3 {
		t.Fatalf("found %d bake files in init's scripts", len(seeds))
	}
	for name, src := range subsetSeeds {
		seeds[name] = []byte(src)
	}
	for name, src := range beyondSeeds {
		seeds[name] = []byte(src)
	}
	return seeds
}
