package llbgen

import (
	"context"
	"fmt"
	"strings"

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
	// The Dockerfile converter names its steps [PLATFORM N/M] ...: add
	// the image, as native steps have it. Names are metadata: digests do
	// not change.
	prefix := "[" + t.Platform.String() + " "
	for _, md := range def.Metadata {
		if name, ok := md.Description["llb.customname"]; ok && strings.HasPrefix(name, prefix) {
			md.Description["llb.customname"] = "[" + t.Image + " " + name[1:]
		}
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
