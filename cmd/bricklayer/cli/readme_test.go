package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/spec"
)

// TestReadmeExamples vets every cue block of README.md.
func TestReadmeExamples(t *testing.T) {
	if len(vetCueBlocks(t, "README.md")) == 0 {
		t.Fatal("README.md has no cue example")
	}
}

// vetCueBlocks vets every cue block of the markdown file (a path from the
// repository's root) as a spec in examples/acme, so that the build contexts
// and Dockerfiles the examples name exist; a block that starts with
// "// A builder file" is checked against the builder file's schema
// instead. It returns the blocks.
func vetCueBlocks(t *testing.T, file string) []string {
	t.Helper()
	specFile := filepath.Join(repoRoot, "examples", "acme", spec.FileName)
	blocks := cueBlocks(readRepo(t, file))
	for i, src := range blocks {
		if strings.HasPrefix(src, "// A builder file") {
			if err := vetBuilderBlock(src); err != nil {
				t.Errorf("%s: cue block %d (a builder file): %v", file, i+1, err)
			}
			continue
		}
		if _, err := spec.Parse(specFile, []byte(src)); err != nil {
			t.Errorf("%s: cue block %d: %v", file, i+1, spec.Diagnostics(err))
		}
	}
	return blocks
}
