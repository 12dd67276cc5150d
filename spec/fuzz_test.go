package spec

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// FuzzParse feeds arbitrary bytes to the loader: it must never panic, and
// every error it reports must carry a position in the file.
func FuzzParse(f *testing.F) {
	for _, src := range scriptSpecs(f, "../testdata/script/*.txtar") {
		f.Add(src)
	}
	f.Add([]byte(`images: a: {repository: "x", from: "scratch", steps: [{run: "x"}]}`))
	dir := f.TempDir()
	file := filepath.Join(dir, FileName)
	f.Fuzz(func(t *testing.T, src []byte) {
		_, err := Parse(file, src)
		if err == nil {
			return
		}
		for _, d := range Diagnostics(err) {
			if d.File == "" || d.Line < 1 || d.Col < 1 {
				t.Errorf("error without a position: %s\nspec:\n%s", d, src)
			}
		}
	})
}

// scriptSpecs are the .cue files of the txtar scripts the globs match.
func scriptSpecs(tb testing.TB, globs ...string) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, glob := range globs {
		scripts, err := filepath.Glob(glob)
		if err != nil {
			tb.Fatal(err)
		}
		for _, s := range scripts {
			ar, err := txtar.ParseFile(s)
			if err != nil {
				tb.Fatal(err)
			}
			for _, file := range ar.Files {
				if strings.HasSuffix(file.Name, ".cue") {
					out = append(out, file.Data)
				}
			}
		}
	}
	return out
}
