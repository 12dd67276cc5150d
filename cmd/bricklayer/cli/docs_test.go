package cli

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	cueast "cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueparser "cuelang.org/go/cue/parser"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/schemas"
)

// repoRoot is the repository's root, seen from this package's directory.
const repoRoot = "../../.."

// readRepo reads a file of the repository by its path from the root.
func readRepo(t *testing.T, rel string) string {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}

// docFiles lists the markdown files a user or contributor reads: README,
// CONTRIBUTING and docs/*.md, by their paths from the root.
func docFiles(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md (%v)", err)
	}
	out := []string{"README.md", "CONTRIBUTING.md"}
	for _, d := range docs {
		out = append(out, filepath.ToSlash(filepath.Join("docs", filepath.Base(d))))
	}
	return out
}

// The generated part of docs/commands.md lies between these lines.
const (
	commandsBegin = "<!-- Generated from the commands' help by TestDocsCommands; BRICKLAYER_UPDATE_GOLDEN=1 go test ./cmd/bricklayer/cli -run TestDocsCommands rewrites it. -->\n"
	commandsEnd   = "<!-- End of the generated reference. -->\n"
)

// TestDocsCommands checks that docs/commands.md holds every command's help
// as the CLI prints it. BRICKLAYER_UPDATE_GOLDEN=1 rewrites that part.
func TestDocsCommands(t *testing.T) {
	const file = "docs/commands.md"
	doc := readRepo(t, file)
	before, rest, ok := strings.Cut(doc, commandsBegin)
	if !ok {
		t.Fatalf("%s: no line %q", file, commandsBegin)
	}
	_, after, ok := strings.Cut(rest, commandsEnd)
	if !ok {
		t.Fatalf("%s: no line %q", file, commandsEnd)
	}
	got := before + commandsBegin + renderCommands(New(nil)) + commandsEnd + after
	if got == doc {
		return
	}
	if os.Getenv("BRICKLAYER_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(filepath.Join(repoRoot, file), []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s differs from the commands' help (BRICKLAYER_UPDATE_GOLDEN=1 rewrites it); first difference:\n%s", file, firstDiff(doc, got))
}

// firstDiff shows the first line where want and got differ.
func firstDiff(have, want string) string {
	h, w := strings.Split(have, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(h) || i < len(w); i++ {
		var hl, wl string
		if i < len(h) {
			hl = h[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if hl != wl {
			return fmt.Sprintf("line %d:\n  file: %q\n  help: %q", i+1, hl, wl)
		}
	}
	return "(none)"
}

// machineDefaults are flag defaults that depend on the machine, and what
// the reference says instead.
func machineDefaults() map[string]string {
	return map[string]string{
		builders.DefaultState(): "/var/lib/bricklayer/buildkit as root, else $XDG_STATE_HOME/bricklayer/buildkit or ~/.local/state/bricklayer/buildkit",
	}
}

// renderCommands writes the reference of every command: an index, then per
// command its synopsis, its help text and a table of its flags.
func renderCommands(c *CLI) string {
	var b strings.Builder
	cmds := c.commands()
	names := c.names()
	b.WriteString("| command | what it does |\n| --- | --- |\n")
	for _, n := range names {
		fmt.Fprintf(&b, "| [`%s`](#bricklayer-%s) | %s |\n", n, n, mdText(cmds[n].short))
	}
	for _, n := range names {
		cmd := cmds[n]
		fmt.Fprintf(&b, "\n## bricklayer %s\n\n", n)
		fmt.Fprintf(&b, "```text\n%s\n```\n\n", strings.TrimSpace("bricklayer "+n+" [flags] "+cmd.args))
		b.WriteString("```text\n" + cmd.long + "\n```\n")
		if !cmd.flags.HasFlags() {
			continue
		}
		b.WriteString("\n| flag | default | what |\n| --- | --- | --- |\n")
		defs := machineDefaults()
		cmd.flags.VisitAll(func(f *pflag.Flag) {
			name := "--" + f.Name
			if f.Shorthand != "" {
				name = "-" + f.Shorthand + ", " + name
			}
			typ, usage := pflag.UnquoteUsage(f)
			if typ != "" {
				name += " " + typ
			}
			def := ""
			if !zeroDefault(f) {
				def = "`" + f.DefValue + "`"
				if d, ok := defs[f.DefValue]; ok {
					def = mdText(d)
				}
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, def, mdText(usage))
		})
	}
	return b.String()
}

// zeroDefault tells a flag whose default is its type's zero value, which
// --help does not print either.
func zeroDefault(f *pflag.Flag) bool {
	switch f.Value.Type() {
	case "bool":
		return f.DefValue == "false"
	case "string":
		return f.DefValue == ""
	case "int", "int64", "uint", "float64":
		return f.DefValue == "0"
	case "stringArray", "stringSlice", "strings":
		return f.DefValue == "[]"
	}
	return f.DefValue == ""
}

// mdText escapes the characters of plain text that markdown would read as
// markup in a table cell; `code` stays code.
func mdText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "|", `\|`, "*", `\*`, "<", `\<`, "[", `\[`)
	return r.Replace(s)
}

// TestDocsExitCodes checks that the exit code table of docs/commands.md
// has a row for each exit code the CLI defines (the Exit constants of
// root.go), and no other.
func TestDocsExitCodes(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "root.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if !strings.HasPrefix(name.Name, "Exit") || i >= len(vs.Values) {
				continue
			}
			lit, ok := vs.Values[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.INT {
				t.Fatalf("root.go: %s is not an integer literal", name.Name)
			}
			v, _ := strconv.Atoi(lit.Value)
			want = append(want, v)
		}
		return true
	})
	if len(want) < 5 {
		t.Fatalf("root.go: found only exit codes %v", want)
	}
	doc := readRepo(t, "docs/commands.md")
	_, table, ok := strings.Cut(doc, "## Exit codes\n")
	if !ok {
		t.Fatal("docs/commands.md: no \"## Exit codes\" section")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	var got []int
	row := regexp.MustCompile(`(?m)^\| ([0-9][0-9, ]*) \|`)
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		for _, s := range strings.Split(m[1], ",") {
			v, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				t.Fatalf("docs/commands.md: exit code %q: %v", s, err)
			}
			got = append(got, v)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("docs/commands.md lists exit codes %v; root.go defines %v", got, want)
	}
}

// TestDocsSchemaFields checks that every field the schemas name is
// documented: those of a spec in docs/language.md, those of a builder file
// in docs/builders.md, each at least once as `name` (or `name: ...`).
func TestDocsSchemaFields(t *testing.T) {
	for _, tc := range []struct{ schema, src, doc string }{
		{"schemas/bricklayer.cue", schemas.Source, "docs/language.md"},
		{"schemas/builder.cue", schemas.Builder, "docs/builders.md"},
	} {
		names, err := schemaFields(tc.schema, tc.src)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) < 5 {
			t.Fatalf("%s: found only fields %v", tc.schema, names)
		}
		doc := readRepo(t, tc.doc)
		for _, n := range names {
			if !strings.Contains(doc, "`"+n+"`") && !strings.Contains(doc, "`"+n+":") {
				t.Errorf("%s does not document the field %s of %s", tc.doc, n, tc.schema)
			}
		}
	}
}

// schemaFields lists the names of the regular fields a CUE schema
// declares, at any depth (definitions and pattern constraints are not
// fields a user writes).
func schemaFields(name, src string) ([]string, error) {
	f, err := cueparser.ParseFile(name, src)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	cueast.Walk(f, func(n cueast.Node) bool {
		fl, ok := n.(*cueast.Field)
		if !ok {
			return true
		}
		if id, ok := fl.Label.(*cueast.Ident); ok && !strings.HasPrefix(id.Name, "#") && !strings.HasPrefix(id.Name, "_") && !seen[id.Name] {
			seen[id.Name] = true
			out = append(out, id.Name)
		}
		return true
	}, nil)
	return out, nil
}

// TestDocsCI checks that docs/ci.md documents every input and output of
// the GitHub Action (action.yml) and every parameter of the Azure template.
func TestDocsCI(t *testing.T) {
	doc := readRepo(t, "docs/ci.md")
	var action struct {
		Inputs  map[string]any `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
	}
	if err := yaml.Unmarshal([]byte(readRepo(t, "action.yml")), &action); err != nil {
		t.Fatal(err)
	}
	var azure struct {
		Parameters []struct{ Name string } `yaml:"parameters"`
	}
	if err := yaml.Unmarshal([]byte(readRepo(t, "ci/azure/bricklayer.yml")), &azure); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range action.Inputs {
		names = append(names, n)
	}
	for n := range action.Outputs {
		names = append(names, n)
	}
	for _, p := range azure.Parameters {
		names = append(names, p.Name)
	}
	if len(names) < 10 {
		t.Fatalf("found only %v in action.yml and the Azure template", names)
	}
	for _, n := range names {
		if !strings.Contains(doc, "`"+n+"`") {
			t.Errorf("docs/ci.md does not document %q (an input or output of action.yml, or a parameter of ci/azure/bricklayer.yml)", n)
		}
	}
}

// TestDocsExamples vets every cue block of docs/*.md as TestReadmeExamples
// does README's, and checks that docs/language.md shows
// examples/acme/bricklayer.cue as it is. A block that starts with
// "// A builder file" is checked against the builder file's schema.
func TestDocsExamples(t *testing.T) {
	acme := readRepo(t, "examples/acme/bricklayer.cue")
	for _, file := range docFiles(t) {
		if !strings.HasPrefix(file, "docs/") {
			continue
		}
		blocks := vetCueBlocks(t, file)
		if file == "docs/language.md" && !slices.Contains(blocks, acme) {
			t.Errorf("%s does not show examples/acme/bricklayer.cue as it is", file)
		}
	}
}

// TestDocsLinks checks that every relative link of the user's and the
// contributor's documents names a file that exists and, with #anchor, a
// heading of it.
func TestDocsLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, file := range docFiles(t) {
		doc := stripCode(readRepo(t, file))
		for _, m := range link.FindAllStringSubmatch(doc, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.ToSlash(filepath.Join(filepath.Dir(file), path))
				if _, err := os.Stat(filepath.Join(repoRoot, dest)); err != nil {
					t.Errorf("%s: link %s: %v", file, target, err)
					continue
				}
			}
			if anchor == "" {
				continue
			}
			if !strings.HasSuffix(dest, ".md") {
				t.Errorf("%s: link %s: an anchor in a file that is not markdown", file, target)
				continue
			}
			if !slices.Contains(anchors(readRepo(t, dest)), anchor) {
				t.Errorf("%s: link %s: %s has no heading #%s", file, target, dest, anchor)
			}
		}
	}
}

// stripCode drops fenced code blocks, whose brackets are not links.
func stripCode(doc string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.SplitAfter(doc, "\n") {
		if strings.HasPrefix(l, "```") {
			in = !in
			continue
		}
		if !in {
			b.WriteString(l)
		}
	}
	return b.String()
}

// anchors lists the anchors GitHub gives the headings of a markdown file:
// lower case, punctuation but '-' and '_' dropped, spaces made '-', and
// -1, -2... after a repeated one.
func anchors(doc string) []string {
	var out []string
	seen := map[string]int{}
	for _, l := range strings.Split(stripCode(doc), "\n") {
		if !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(l, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			out = append(out, fmt.Sprintf("%s-%d", a, n))
		} else {
			out = append(out, a)
		}
		seen[a]++
	}
	return out
}

// TestContributingPackages checks that CONTRIBUTING.md names every Go
// package of the main module (not test data, not other modules such as
// tools/), as `path/`.
func TestContributingPackages(t *testing.T) {
	doc := readRepo(t, "CONTRIBUTING.md")
	err := filepath.WalkDir(repoRoot, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if rel == "testdata" || strings.HasSuffix(rel, "/testdata") || strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			// Another module (tools/, an example's own go.mod).
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		if dir != "." && !strings.Contains(doc, "`"+dir+"/`") {
			t.Errorf("CONTRIBUTING.md does not name the package `%s/`", dir)
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// vetBuilderBlock checks a builder file example against #Builder.
func vetBuilderBlock(src string) error {
	ctx := cuecontext.New()
	schema := ctx.CompileString(schemas.Builder, cue.Filename(schemas.BuilderFileName))
	if err := schema.Err(); err != nil {
		return err
	}
	v := ctx.CompileString(src, cue.Filename("example.builder.cue"))
	if err := v.Err(); err != nil {
		return err
	}
	def := schema.LookupPath(cue.MakePath(cue.Def("#Builder")))
	return v.Unify(def).Validate(cue.Concrete(true))
}

// cueBlocks returns the text of the ```cue blocks of a markdown file.
func cueBlocks(doc string) []string {
	var out []string
	for _, b := range strings.Split(doc, "```cue\n")[1:] {
		end := strings.Index(b, "```")
		if end < 0 {
			end = len(b)
		}
		out = append(out, b[:end])
	}
	return out
}
