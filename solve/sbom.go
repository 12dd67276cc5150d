package solve

import (
	"context"
	"fmt"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/attestations/sbom"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/result"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/platform"
)

// attachSBOM runs the SBOM generator over the image's root filesystem st
// and attaches its SPDX statements to res as the platform's attestation,
// as BuildKit's Dockerfile frontend does for attest:sbom: BuildKit's
// exporters then put it in the platform's attestation manifest, beside
// any provenance. The generator runs on the build platform bp.
func attachSBOM(ctx context.Context, gw gateway.Client, res *gateway.Result, generator string, bp ocispecs.Platform, p platform.Platform, st llb.State) error {
	scan, err := sbom.CreateSBOMScanner(ctx, gw, generator, bp, sourceresolver.Opt{
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &bp},
	}, nil)
	if err != nil {
		return fmt.Errorf("SBOM generator %s: %w", generator, err)
	}
	// The key BuildKit's exporters find the platform's attestations
	// under (for a single image, its config's platform).
	id := platformID(p)
	att, err := scan(ctx, id, st, nil)
	if err != nil {
		return fmt.Errorf("SBOM generator %s: %w", generator, err)
	}
	solved, err := result.ConvertAttestation(&att, func(st *llb.State) (gateway.Reference, error) {
		def, err := st.Marshal(ctx)
		if err != nil {
			return nil, err
		}
		r, err := gw.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
		if err != nil {
			return nil, err
		}
		return r.SingleRef()
	})
	if err != nil {
		return fmt.Errorf("generating the SBOM with %s: %w", generator, err)
	}
	res.AddAttestation(id, *solved)
	return nil
}
