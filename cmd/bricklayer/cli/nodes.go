package cli

import (
	"github.com/spf13/pflag"

	"github.com/bricklayer-build/bricklayer/builders"
)

// nodeOpts are the flags that describe a builder of several nodes.
type nodeOpts struct {
	nodes          *[]string
	file           *string
	allowEmulation *bool
}

func nodeFlags(fs *pflag.FlagSet) *nodeOpts {
	return &nodeOpts{
		nodes:          fs.StringArray("node", nil, "a BuildKit node and the platforms it builds natively: PLATFORM[,PLATFORM...]=ADDR (repeatable; instead of --addr)"),
		file:           fs.String("builder", "", "a builder file (bricklayer.builder.cue) listing the nodes"),
		allowEmulation: fs.Bool("allow-emulation", false, "let a platform no node builds natively go to a node that emulates it"),
	}
}

// builder is the builder the flags describe, or nil for the single daemon
// of --addr.
func (o *nodeOpts) builder() (*builders.Builder, error) {
	if len(*o.nodes) > 0 && *o.file != "" {
		return nil, usageErrorf("--node and --builder exclude each other")
	}
	var b *builders.Builder
	switch {
	case *o.file != "":
		var err error
		if b, err = builders.LoadBuilder(*o.file); err != nil {
			return nil, err
		}
	case len(*o.nodes) > 0:
		b = &builders.Builder{}
		for i, n := range *o.nodes {
			node, err := builders.ParseNode(n, i)
			if err != nil {
				return nil, usageErrorf("%v", err)
			}
			b.Nodes = append(b.Nodes, node)
		}
	default:
		return nil, nil
	}
	b.AllowEmulation = b.AllowEmulation || *o.allowEmulation
	return b, nil
}
