package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/spec"
)

// TestGoldenPlans pins the LLB digests of the example specs: a change in
// lowering that moves them must be deliberate.
// BRICKLAYER_UPDATE_GOLDEN=1 rewrites testdata/golden.
func TestGoldenPlans(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	specs := map[string]string{
		"acme": filepath.Join(root, "examples", "acme"),
		"demo": filepath.Join(root, "examples", "demo"),
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "testdata", "specs", "*"))
	for _, d := range dirs {
		specs[filepath.Base(d)] = d
	}
	for name, dir := range specs {
		t.Run(name, func(t *testing.T) {
			s, err := spec.Load(dir)
			if err != nil {
				t.Fatal(spec.Diagnostics(err))
			}
			pl, err := plan.Make(context.Background(), s, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := planDocOf(pl)
			p.Spec = name
			got, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(root, "testdata", "golden", name+".plan.json")
			if os.Getenv("BRICKLAYER_UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), got) {
				t.Errorf("plan of %s differs from %s:\n%s", dir, golden, got)
			}
		})
	}
}
