package compose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	yaml4 "go.yaml.in/yaml/v4"
	"golang.org/x/tools/txtar"
	"gopkg.in/yaml.v3"
)

// composeModel is the model compose-go's own loader gives src: the oracle
// readModel is checked against. It reads no other file (extends and
// include are skipped, paths left as written, environment and label
// files not read) and does not validate, so a file is taken as written.
// A panic of the loader (it has some on values of the wrong type) counts
// as an error.
func composeModel(src []byte, vars map[string]string) (m map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("compose-go panics: %v", r)
		}
	}()
	details := types.ConfigDetails{
		WorkingDir:  "/nonexistent-bricklayer-compose",
		ConfigFiles: []types.ConfigFile{{Filename: "f.yml", Content: src}},
		// The loader writes COMPOSE_PROJECT_NAME into it.
		Environment: maps.Clone(vars),
	}
	return loader.LoadModelWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName(projectName, true)
		o.SkipInterpolation = vars == nil
		if o.Interpolate != nil {
			o.Interpolate.Substitute = func(s string, m template.Mapping) (string, error) {
				return template.SubstituteWithOptions(s, m, template.WithoutLogging)
			}
		}
		o.ResolvePaths = false
		o.SkipValidation = true
		o.SkipConsistencyCheck = true
		o.SkipExtends = true
		o.SkipInclude = true
		o.SkipResolveEnvironment = true
		o.SkipResolveLabels = true
		o.ResourceLoaders = nil
	})
}

// testVars are an environment for interpolation: set, set empty, and
// values compose casts to numbers and booleans.
func testVars() map[string]string {
	return map[string]string{"A": "a", "EMPTY": "", "PORT": "8080", "RELEASE": "1.2", "YES": "yes", "N": "3", "B": "from-env"}
}

// testRules are the rules of the package's tests together.
var testRules = append(append([]Rule(nil), rules...), apiRules...)

// allowed accepts what Verify and Merge accept between two files: an
// image reference rewritten from an alias, or one named in other words.
func allowed(t testing.TB) func(diffPath, any, any) bool {
	rs, err := compileRules(testRules)
	if err != nil {
		t.Fatal(err)
	}
	return func(p diffPath, a, b any) bool {
		from, ok1 := a.(string)
		to, ok2 := b.(string)
		return sameImage(p, a, b) || ok1 && ok2 && rs.rewrites(from, to)
	}
}

// againstCompose is the oracle. It reads a and b as bricklayer does; when
// they are the same to bricklayer, compose-go's loader must find them the
// same too, or fail on both. A file bricklayer fails on but compose-go
// reads must be one it refuses on purpose (errUnsupported). It tells
// whether bricklayer found them the same.
func againstCompose(t testing.TB, a, b []byte, vars map[string]string, allow func(diffPath, any, any) bool) bool {
	t.Helper()
	before := maps.Clone(vars)
	ma, errA := readModel(a, vars)
	mb, errB := readModel(b, vars)
	if !maps.Equal(vars, before) {
		t.Fatalf("readModel changed vars: %v, was %v", vars, before)
	}
	for _, f := range []struct {
		src []byte
		err error
	}{{a, errA}, {b, errB}} {
		if f.err == nil || errors.Is(f.err, errUnsupported) {
			continue
		}
		if _, err := composeModel(f.src, vars); err == nil {
			t.Fatalf("vars %v: bricklayer fails where compose-go does not, and not on purpose: %v\ninput: %q", vars, f.err, f.src)
		}
	}
	if errA != nil || errB != nil {
		return false
	}
	if _, differ := modelDiff(nil, ma, mb, allow); differ {
		return false
	}
	ca, cerrA := composeModel(a, vars)
	cb, cerrB := composeModel(b, vars)
	switch {
	case cerrA != nil && cerrB != nil:
		return true
	case cerrA != nil || cerrB != nil:
		t.Fatalf("vars %v: bricklayer reads them the same; compose-go fails on one: %v / %v\na: %q\nb: %q", vars, cerrA, cerrB, a, b)
	}
	if p, differ := modelDiff(nil, ca, cb, allow); differ {
		x, _ := at(ca, p)
		y, _ := at(cb, p)
		t.Fatalf("vars %v: bricklayer reads them the same; compose-go does not, at %s: %#v vs %#v\na: %q\nb: %q", vars, p, x, y, a, b)
	}
	return true
}

// A mutation makes from src a file that may be the same deployment; at
// picks where or how, for those that need it. ok is false when it does
// not apply to src.
type mutation struct {
	name string
	make func(t testing.TB, src []byte, at int) (out []byte, ok bool)
}

var mutations = []mutation{
	{"itself", func(_ testing.TB, src []byte, _ int) ([]byte, bool) { return src, true }},
	{"re-encoded", reencoded},
	{"expanded", expanded},
	{"split", split},
	{"rewritten", func(_ testing.TB, src []byte, _ int) ([]byte, bool) { return rewritten(src, false) }},
	{"folded", func(_ testing.TB, src []byte, _ int) ([]byte, bool) { return rewritten(src, true) }},
	{"byte", edited},
}

// reencoded is src through yaml.v3's encoder, in block style with plain
// scalars where they read the same and without comments; anchors stay.
func reencoded(_ testing.TB, src []byte, _ int) ([]byte, bool) {
	docs, err := parse(src)
	if err != nil || len(docs) == 0 {
		return nil, false
	}
	var out bytes.Buffer
	for i, d := range docs {
		restyle(d)
		dt, err := yaml.Marshal(d)
		if err != nil {
			return nil, false
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(dt)
	}
	return out.Bytes(), true
}

func restyle(n *yaml.Node) {
	n.Style = 0
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		restyle(c)
	}
}

// documents are the documents of src as data, decoded as compose does.
func documents(src []byte) ([]any, bool) {
	if _, err := readModel(src, nil); err != nil {
		return nil, false // so no cycle nor bomb is decoded
	}
	var docs []any
	dec := yaml4.NewDecoder(bytes.NewReader(src))
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs, len(docs) > 0
		}
		if err != nil {
			return nil, false
		}
		docs = append(docs, v)
	}
}

func encode(docs ...any) ([]byte, bool) {
	var out bytes.Buffer
	for i, d := range docs {
		dt, err := yaml4.Marshal(d)
		if err != nil {
			return nil, false
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(dt)
	}
	return out.Bytes(), true
}

// expanded is the data of src written anew: aliases and merge keys
// expanded, keys sorted, numbers and strings as the encoder writes them.
func expanded(_ testing.TB, src []byte, _ int) ([]byte, bool) {
	docs, ok := documents(src)
	if !ok {
		return nil, false
	}
	return encode(docs...)
}

// split is a one-document src as two documents: every other key of the
// top level and of each service in the first, the rest in the second,
// which compose merges back.
func split(_ testing.TB, src []byte, _ int) ([]byte, bool) {
	docs, ok := documents(src)
	if !ok || len(docs) != 1 {
		return nil, false
	}
	m, ok := docs[0].(map[string]any)
	if !ok || len(m) < 2 {
		return nil, false
	}
	a, b := halves(m, 0)
	return encode(a, b)
}

func halves(m map[string]any, depth int) (a, b map[string]any) {
	a, b = map[string]any{}, map[string]any{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if sub, ok := m[k].(map[string]any); ok && depth < 2 && (depth > 0 || k == "services") {
			a[k], b[k] = halves(sub, depth+1)
			continue
		}
		if i%2 == 0 {
			a[k] = m[k]
		} else {
			b[k] = m[k]
		}
	}
	return a, b
}

// rewritten is src with its alias tags rewritten, and with foldArch its
// per-architecture repositories folded, as Verify and Merge compare them.
func rewritten(src []byte, foldArch bool) ([]byte, bool) {
	res, err := RewriteWith(src, testRules, Options{FoldArch: foldArch})
	if err != nil || len(res.Changes) == 0 {
		return nil, false
	}
	return res.Out, true
}

// edited is src with one byte replaced by one that means something to
// YAML or compose.
func edited(_ testing.TB, src []byte, at int) ([]byte, bool) {
	const alphabet = " 01.\"'-:{}[],\n#&*<!$x"
	if len(src) == 0 || at < 0 {
		return nil, false
	}
	out := bytes.Clone(src)
	out[(at/len(alphabet))%len(src)] = alphabet[at%len(alphabet)]
	return out, true
}

// testComposeFiles are the compose files of the package's tests and of
// the migrate scripts, and FuzzRewrite's corpus, by name.
func testComposeFiles(t testing.TB) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, pattern := range []string{"testdata/*.yml", "testdata/merge/*.yml"} {
		names, _ := filepath.Glob(pattern)
		for _, name := range names {
			dt, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			files[name] = dt
		}
	}
	scripts, _ := filepath.Glob("../testdata/script/migrate_*.txtar")
	for _, s := range scripts {
		ar, err := txtar.ParseFile(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if strings.HasSuffix(f.Name, ".yml") || strings.HasSuffix(f.Name, ".yaml") {
				files[s+":"+f.Name] = f.Data
			}
		}
	}
	corpus, _ := filepath.Glob("testdata/fuzz/FuzzRewrite/*")
	for _, name := range corpus {
		dt, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		// go test fuzz v1, then []byte("...") for one []byte argument.
		lines := strings.Split(strings.TrimSpace(string(dt)), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			continue
		}
		if s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")")); err == nil {
			files[name] = []byte(s)
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d compose files found", len(files))
	}
	return files
}

// variantGroups are files meant to be variants of one another: each
// directory of testdata, each script's files, and trickyCompose's merge
// variants.
func variantGroups(t testing.TB, files map[string][]byte) map[string][][]byte {
	groups := map[string][][]byte{}
	for name, src := range files {
		dir, _, _ := strings.Cut(name, ":")
		if !strings.Contains(name, ":") {
			dir = filepath.Dir(name)
		}
		groups[dir] = append(groups[dir], src)
	}
	groups["tricky"] = [][]byte{[]byte(trickyCompose["merge variants amd"]), []byte(trickyCompose["merge variants arm"])}
	return groups
}
