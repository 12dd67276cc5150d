package spec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/internal/specgen"
	"github.com/bricklayer-build/bricklayer/schemas"
)

// piecesAgree evaluates src as Parse does and checks validPieces against
// the whole spec unified with #Spec: pieces may say no to a valid spec,
// never yes to an invalid one. It returns what validPieces said.
func piecesAgree(t *testing.T, src []byte) bool {
	t.Helper()
	ctx := cuecontext.New()
	schema := ctx.CompileString(schemas.Source, cue.Filename(schemas.FileName))
	info, _ := json.Marshal(&buildinfo.Info{})
	scope := ctx.CompileString(`build: ` + string(info))
	user := ctx.CompileBytes(src, cue.Filename(FileName), cue.Scope(scope))
	if user.Err() != nil {
		return false
	}
	whole := user.Unify(schema.LookupPath(cue.MakePath(cue.Def("#Spec")))).Validate(cue.Concrete(true))
	pieces := validPieces(ctx, schema, user)
	if pieces && whole != nil {
		t.Errorf("validPieces says valid, the whole spec says %v\nspec:\n%s", whole, src)
	}
	return pieces
}

func TestValidPiecesNeverLaxer(t *testing.T) {
	srcs := scriptSpecs(t, "../testdata/script/*.txtar", "../testdata/e2e/*.txtar")
	files, _ := filepath.Glob("../examples/*/bricklayer.cue")
	more, _ := filepath.Glob("../testdata/specs/*/bricklayer.cue")
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, b)
	}
	if len(srcs) < 50 {
		t.Fatalf("only %d specs found", len(srcs))
	}
	yes := 0
	for _, src := range srcs {
		if piecesAgree(t, src) {
			yes++
		}
	}
	// Most specs in the scripts are valid: the fast path must be the one
	// they take.
	if yes < len(srcs)/2 {
		t.Errorf("validPieces said valid for %d of %d specs", yes, len(srcs))
	}
	if !piecesAgree(t, specgen.Generate(20)) {
		t.Error("validPieces said no to the generated spec")
	}
}

// Specs where a piece alone looks valid and the whole is not, or that
// the pieces do not understand.
func TestValidPiecesEdges(t *testing.T) {
	const img = `{repository: "r", from: "scratch", steps: [{run: "x"}]}`
	for name, c := range map[string]struct {
		src  string
		want bool
	}{
		"valid":             {`images: a: ` + img, true},
		"with stage":        {`stages: s: {from: "scratch"}` + "\n" + `images: a: ` + img, true},
		"bad image name":    {`images: A: ` + img, false},
		"bad stage name":    {`stages: S: {from: "scratch"}` + "\n" + `images: a: ` + img, false},
		"unknown top-level": {`images: a: ` + img + "\nimagez: 1", false},
		"unknown in image":  {`images: a: {repository: "r", from: "scratch", stepz: 1}`, false},
		"no images":         {`platforms: ["linux/amd64"]`, false},
		"images a list":     {`images: [1]`, false},
		"hidden conflict":   {`images: a: ` + img + "\n_x: 1 & 2", false},
		"definition error":  {`images: a: ` + img + "\n#D: 1 & 2", false},
		"optional images":   {`images?: a: ` + img, false},
		"top-level type":    {`images: a: ` + img + "\nepoch: -1", false},
		"incomplete":        {`images: a: {repository: string, from: "scratch", steps: [{run: "x"}]}`, false},
		"reference":         {`_base: ` + img + "\nimages: a: _base\nimages: b: _base & {tags: [\"1\"]}", true},
	} {
		t.Run(name, func(t *testing.T) {
			if got := piecesAgree(t, []byte(c.src)); got != c.want {
				t.Errorf("validPieces = %v, want %v", got, c.want)
			}
		})
	}
}
