package solve

import (
	"testing"

	"github.com/moby/buildkit/client"

	"github.com/bricklayer-build/bricklayer/platform"
)

// TestPushExportsLast: BuildKit keeps the last exporter's digest, and the
// pushed manifest is the one publish assembles.
func TestPushExportsLast(t *testing.T) {
	n := &Nodes{}
	so, err := n.solveOpt(Request{
		Image: "a", Platform: platform.Platform{OS: "linux", Architecture: "amd64"},
		Push: true, Repository: "example.com/a", LayoutDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range so.Exports {
		types = append(types, e.Type)
	}
	if len(types) != 2 || types[len(types)-1] != client.ExporterImage {
		t.Errorf("exporters %v, want the image (push) exporter last", types)
	}
}
