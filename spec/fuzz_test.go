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
	scripts, _ := filepath.Glob("../testdata/script/*.txtar")
	for _, s := range scripts {
		ar, err := txtar.ParseFile(s)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if strings.HasSuffix(file.Name, ".cue") {
				f.Add(file.Data)
			}
		}
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
