package llbgen

import (
	"context"
	"fmt"

	"github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/proto"
)

// Marshal serializes the target's graph. Every constraint that would
// otherwise differ between runs is fixed here.
func (t *Target) Marshal(ctx context.Context) (*llb.Definition, error) {
	co := []llb.ConstraintsOpt{llb.Platform(t.Platform.OCI()), llb.LocalUniqueID("bricklayer")}
	if t.noCache {
		// Metadata, not part of the ops: digests stay the same.
		co = append(co, llb.IgnoreCache)
	}
	def, err := t.State.Marshal(ctx, co...)
	if err != nil {
		return nil, fmt.Errorf("marshalling %s for %s: %w", t.Image, t.Platform, err)
	}
	return def, nil
}

// Digest identifies a marshalled graph: the digest of its final op, which
// covers every op it depends on.
func Digest(def *llb.Definition) digest.Digest {
	if len(def.Def) == 0 {
		return ""
	}
	return digest.FromBytes(def.Def[len(def.Def)-1])
}

// Ops is the number of ops of a graph, without the final pointer op.
func Ops(def *llb.Definition) int {
	if len(def.Def) == 0 {
		return 0
	}
	return len(def.Def) - 1
}

// Bytes is the definition as protobuf, marshalled deterministically (map
// fields in key order) so the same graph gives the same bytes.
func Bytes(def *llb.Definition) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(def.ToPB())
}
