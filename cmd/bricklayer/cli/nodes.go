package cli

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/builders/builderfile"
)

// nodeOpts are the flags that describe a builder of several nodes.
type nodeOpts struct {
	nodes          *[]string
	file           *string
	allowEmulation *bool
	insecureTCP    *bool
}

func nodeFlags(fs *pflag.FlagSet) *nodeOpts {
	return &nodeOpts{
		nodes:          fs.StringArray("node", nil, "a BuildKit node and the platforms it builds natively: PLATFORM[,PLATFORM...]=ADDR (repeatable; instead of --addr)"),
		file:           fs.String("builder", "", "a builder file (bricklayer.builder.cue) listing the nodes"),
		allowEmulation: fs.Bool("allow-emulation", false, "let a platform no node builds natively go to a node that emulates it"),
		insecureTCP:    fs.Bool("insecure-tcp", false, "use tcp:// daemons without TLS (anyone who reaches them can run steps as root there)"),
	}
}

// builder is the builder the flags describe: their nodes, or the single
// daemon at addr (--addr, else $BUILDKIT_HOST, else the default socket).
// Nodes unsafe to use are refused; those used anyway are warned about.
func (o *nodeOpts) builder(addrFlag string, stderr io.Writer) (*builders.Builder, error) {
	b, err := o.nodesOf()
	if err != nil {
		return nil, err
	}
	if b == nil {
		addr := builders.Addr(addrFlag)
		if err := builders.CheckAddr(addr); err != nil {
			return nil, usageErrorf("%v", err)
		}
		b = builders.SingleDaemon(addr)
	} else if addrFlag != "" {
		return nil, usageErrorf("--addr and --node/--builder exclude each other")
	}
	if *o.insecureTCP {
		for i := range b.Nodes {
			b.Nodes[i].Insecure = true
		}
	}
	warnings, err := b.Check()
	if err != nil {
		return nil, usageErrorf("%v (or pass --insecure-tcp)", err)
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "bricklayer: warning: %s\n", w)
	}
	return b, nil
}

func (o *nodeOpts) nodesOf() (*builders.Builder, error) {
	if len(*o.nodes) > 0 && *o.file != "" {
		return nil, usageErrorf("--node and --builder exclude each other")
	}
	var b *builders.Builder
	switch {
	case *o.file != "":
		var err error
		if b, err = builderfile.Load(*o.file); err != nil {
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
