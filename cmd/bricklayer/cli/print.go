package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/bricklayer-build/bricklayer/llbgen"
	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/platform"
)

func (c *CLI) printCommand() *command {
	cmd := newCommand("print", "IMAGE [FILE|DIR]", "print the LLB of one image for one platform", `
Print lowers IMAGE of the spec for one platform (--platform, default the
image's first) and prints its LLB graph, without a daemon:

  --format json   one JSON object per op, as buildctl debug dump-llb prints
                  them: {"Op": ..., "Digest": ..., "OpMetadata": ...}
  --format llb    the definition as protobuf, to pipe to buildctl build
  --format dot    a Graphviz picture: bricklayer print app --format dot | dot -Tsvg`)
	targetPlatform := cmd.flags.String("platform", "", "platform to lower for (default: the image's first)")
	format := cmd.flags.String("format", "json", "output format: json, llb or dot")
	buildPlatform := cmd.flags.String("build-platform", "linux/amd64", "platform that build-platform stages run on")
	contexts := contextFlag(cmd.flags)
	sets := setFlag(cmd.flags)
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) < 1 || len(args) > 2 {
			return usageErrorf("print takes IMAGE and at most one FILE or DIR")
		}
		switch *format {
		case "json", "llb", "dot":
		default:
			return usageErrorf("print: --format must be json, llb or dot, not %q", *format)
		}
		bp, err := parsePlatform("--build-platform", *buildPlatform)
		if err != nil {
			return err
		}
		arg := "."
		if len(args) == 2 {
			arg = args[1]
		}
		s, err := c.load(ctx, arg, *contexts, *sets...)
		if err != nil {
			return err
		}
		s.Release() // nothing here exports the spec; a large plan needs the memory
		name := args[0]
		if _, err := plan.SelectImages(s, []string{name}); err != nil {
			return err
		}
		im := s.Images[name]
		plat := im.Platforms[0]
		if *targetPlatform != "" {
			p, err := platform.Parse(*targetPlatform)
			if err != nil {
				return usageErrorf("print: --platform: %v", err)
			}
			if !slices.Contains(im.Platforms, p) {
				return usageErrorf("print: image %q is not built for %s (platforms: %s)", name, p, platform.Join(im.Platforms))
			}
			plat = p
		}
		lr, _, err := lockResolver(s)
		if err != nil {
			return err
		}
		po := plan.Options{Images: []string{name}, Platforms: []platform.Platform{plat}, BuildPlatform: &bp, Definitions: true}
		if lr != nil {
			po.Resolver = lr
		}
		pl, err := plan.Make(ctx, s, po)
		if err != nil {
			return err
		}
		def := pl.Images[0].Targets[0].Definition
		switch *format {
		case "llb":
			dt, err := llbgen.Bytes(def)
			if err != nil {
				return err
			}
			_, err = c.stdout.Write(dt)
			return err
		case "dot":
			ops, err := decodeOps(def)
			if err != nil {
				return err
			}
			writeDot(c.stdout, ops)
			return nil
		}
		ops, err := decodeOps(def)
		if err != nil {
			return err
		}
		return writeOpsJSON(c.stdout, ops)
	}
	return cmd
}

type llbOp struct {
	op       *pb.Op
	digest   digest.Digest
	metadata *pb.OpMetadata
}

func decodeOps(def *llb.Definition) ([]llbOp, error) {
	ops := make([]llbOp, 0, len(def.Def))
	for _, dt := range def.Def {
		var op pb.Op
		if err := proto.Unmarshal(dt, &op); err != nil {
			return nil, fmt.Errorf("decoding op: %w", err)
		}
		d := digest.FromBytes(dt)
		ops = append(ops, llbOp{op: &op, digest: d, metadata: def.Metadata[d].ToPB()})
	}
	return ops, nil
}

// writeOpsJSON prints one object per op. protojson's output is not stable
// byte for byte, so each message goes through encoding/json to be.
func writeOpsJSON(w io.Writer, ops []llbOp) error {
	enc := json.NewEncoder(w)
	for _, o := range ops {
		op, err := stableJSON(o.op)
		if err != nil {
			return err
		}
		md, err := stableJSON(o.metadata)
		if err != nil {
			return err
		}
		if err := enc.Encode(struct {
			Op         any
			Digest     digest.Digest
			OpMetadata any
		}{op, o.digest, md}); err != nil {
			return err
		}
	}
	return nil
}

func stableJSON(m proto.Message) (any, error) {
	dt, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var v any
	err = json.Unmarshal(dt, &v)
	return v, err
}

func writeDot(w io.Writer, ops []llbOp) {
	fmt.Fprintln(w, "digraph llb {")
	fmt.Fprintln(w, "  rankdir=BT;")
	for _, o := range ops {
		label, shape := dotNode(o)
		fmt.Fprintf(w, "  %q [label=%q shape=%q];\n", short(o.digest), label, shape)
	}
	for _, o := range ops {
		for i, in := range o.op.Inputs {
			label := ""
			if e, ok := o.op.Op.(*pb.Op_Exec); ok {
				for _, m := range e.Exec.Mounts {
					if int(m.Input) == i && m.Dest != "/" {
						label = m.Dest
					}
				}
			}
			fmt.Fprintf(w, "  %q -> %q [label=%q];\n", short(digest.Digest(in.Digest)), short(o.digest), label)
		}
	}
	fmt.Fprintln(w, "}")
}

func dotNode(o llbOp) (string, string) {
	if o.metadata != nil && o.metadata.Description["llb.customname"] != "" {
		return o.metadata.Description["llb.customname"], shapeOf(o.op)
	}
	switch op := o.op.Op.(type) {
	case *pb.Op_Source:
		return op.Source.Identifier, "ellipse"
	case *pb.Op_Exec:
		return strings.Join(op.Exec.Meta.Args, " "), "box"
	case *pb.Op_File:
		return "file", "note"
	case nil:
		return "result", "plaintext"
	}
	return fmt.Sprintf("%T", o.op.Op), "box"
}

func shapeOf(op *pb.Op) string {
	switch op.Op.(type) {
	case *pb.Op_Source:
		return "ellipse"
	case *pb.Op_File:
		return "note"
	}
	return "box"
}

func short(d digest.Digest) string {
	if len(d.Encoded()) < 12 {
		return d.String()
	}
	return d.Encoded()[:12]
}
