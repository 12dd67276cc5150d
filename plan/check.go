package plan

import (
	"context"

	"github.com/bricklayer-build/bricklayer/llbgen"
	"github.com/bricklayer-build/bricklayer/spec"
)

// Check is vet's share of making the plan: what lowering would reject or
// find in the spec's own content, without the graphs. Native images were
// checked when the spec loaded; each Dockerfile image is converted for
// every platform, every stage checked (docker build --check), and its
// findings come back, as warnings or errors, instead of failing the
// conversion. Marshalling graphs nobody reads would only cost vet time.
func Check(ctx context.Context, s *spec.Spec) ([]llbgen.Finding, error) {
	return llbgen.Check(ctx, s)
}
