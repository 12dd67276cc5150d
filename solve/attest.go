package solve

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/buildopt"
)

// provenanceAttrs asks BuildKit for provenance. Its provenance processor
// runs on the solve's result, so it attests the graph of bricklayer's
// build function as it does a frontend's.
func provenanceAttrs(attrs map[string]string, p buildopt.Provenance) {
	if a := p.Attr(); a != "" {
		attrs["attest:provenance"] = a
	}
}

// canAttest refuses a daemon without attestations (BuildKit before
// 0.11): it would ignore the attest: attribute and publish the image
// without the provenance asked for.
func canAttest(gw gateway.Client) error {
	caps := gw.BuildOpts().LLBCaps
	if err := caps.Supports(pb.CapAttestations); err != nil {
		return fmt.Errorf("this BuildKit daemon cannot attach attestations (provenance, SBOM): %w", err)
	}
	return nil
}

// exportedIndex tells whether the exporters made an index rather than an
// image manifest: their descriptor says (BuildKit makes one for a single
// platform only to hold attestations).
func exportedIndex(resp map[string]string) (bool, error) {
	enc, ok := resp[exptypes.ExporterImageDescriptorKey]
	if !ok {
		return false, nil
	}
	dt, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return false, fmt.Errorf("the exporter's descriptor: %w", err)
	}
	var desc ocispecs.Descriptor
	if err := json.Unmarshal(dt, &desc); err != nil {
		return false, fmt.Errorf("the exporter's descriptor: %w", err)
	}
	return types.MediaType(desc.MediaType).IsIndex(), nil
}
