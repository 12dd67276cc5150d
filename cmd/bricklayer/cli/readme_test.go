package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/spec"
)

// TestReadmeExamples vets every cue block of README.md, in the context of
// examples/acme so its build contexts exist, and checks that the complete
// example is the file it names.
func TestReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(readme), "```cue\n")[1:]
	if len(blocks) == 0 {
		t.Fatal("README.md has no cue example")
	}
	file := filepath.Join("..", "..", "..", "examples", "acme", spec.FileName)
	onDisk, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for i, b := range blocks {
		src := b[:strings.Index(b, "```")]
		if _, err := spec.Parse(file, []byte(src)); err != nil {
			t.Errorf("README cue block %d: %v", i+1, spec.Diagnostics(err))
		}
		found = found || src == string(onDisk)
	}
	if !found {
		t.Errorf("README.md does not show %s as it is", file)
	}
}
