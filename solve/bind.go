package solve

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/proto"
)

// bindLocals ties every local source of a plan's definition to the
// session that serves it and to the checkout it comes from: the daemon
// keeps one synced copy per host and directory, and the session ID makes
// the op (and so a vertex a shared daemon could merge between concurrent
// jobs) this build's own; ops after it are still cached by content. The
// plan's graph is machine-independent; this is the one change solving
// makes to it, and the ops that depend on a local source get new digests
// through their inputs. dirs maps the sources' names to directories.
func bindLocals(def *pb.Definition, session, host string, dirs map[string]string) (*pb.Definition, error) {
	out := &pb.Definition{Def: make([][]byte, len(def.Def)), Metadata: map[string]*pb.OpMetadata{}, Source: def.Source}
	renamed := map[string]string{}
	sessioned := map[string]bool{}
	// Ops come inputs first (llb marshals depth first), so an op's
	// inputs are renamed before it is read.
	for i, dt := range def.Def {
		var op pb.Op
		if err := proto.Unmarshal(dt, &op); err != nil {
			return nil, fmt.Errorf("reading the plan's definition: %w", err)
		}
		changed := false
		for _, in := range op.Inputs {
			if nd, ok := renamed[in.Digest]; ok {
				in.Digest, changed = nd, true
			}
		}
		if src := op.GetSource(); src != nil && strings.HasPrefix(src.Identifier, "local://") {
			n := strings.TrimPrefix(src.Identifier, "local://")
			dir, ok := dirs[n]
			if !ok {
				return nil, fmt.Errorf("the plan's local source %q has no directory", n)
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				abs = dir
			}
			if src.Attrs == nil {
				src.Attrs = map[string]string{}
			}
			// As llb marshals a local of a session: the session, not a
			// unique ID, tells it apart, and the key hint keeps the
			// checkout's synced copy.
			id := "bricklayer:" + digest.FromString(host + "\x00" + abs).Encoded()[:32]
			delete(src.Attrs, pb.AttrLocalUniqueID)
			src.Attrs[pb.AttrSharedKeyHint] = id
			src.Attrs[pb.AttrLocalSessionID] = session
			sessioned[string(digest.FromBytes(dt))] = true
			changed = true
		}
		out.Def[i] = dt
		if changed {
			nb, err := proto.MarshalOptions{Deterministic: true}.Marshal(&op)
			if err != nil {
				return nil, err
			}
			renamed[string(digest.FromBytes(dt))] = string(digest.FromBytes(nb))
			out.Def[i] = nb
		}
	}
	for k, md := range def.Metadata {
		if sessioned[k] {
			md = proto.Clone(md).(*pb.OpMetadata)
			if md.Caps == nil {
				md.Caps = map[string]bool{}
			}
			delete(md.Caps, string(pb.CapSourceLocalUnique))
			md.Caps[string(pb.CapSourceLocalSessionID)] = true
		}
		if nk, ok := renamed[k]; ok {
			k = nk
		}
		out.Metadata[k] = md
	}
	if def.Source != nil && len(renamed) > 0 {
		src := &pb.Source{Infos: def.Source.Infos, Locations: map[string]*pb.Locations{}}
		for k, l := range def.Source.Locations {
			if nk, ok := renamed[k]; ok {
				k = nk
			}
			src.Locations[k] = l
		}
		out.Source = src
	}
	return out, nil
}
