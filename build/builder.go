package build

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"github.com/moby/buildkit/client"
	// Connection helpers for the addresses a node may have besides
	// unix:// and tcp://.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/ssh"

	"github.com/bricklayer-build/bricklayer/spec"
)

// Builder is the BuildKit daemons a build runs on: each node builds the
// platforms it serves natively.
type Builder struct {
	Nodes []Node `json:"nodes"`
	// AllowEmulation lets a platform no node serves natively go to a node
	// whose daemon builds it under QEMU.
	AllowEmulation bool `json:"allowEmulation"`
}

// Node is one daemon of a builder.
type Node struct {
	Name string `json:"name"`
	// Addr is unix://, tcp://, docker-container://, kube-pod:// or ssh://.
	Addr string `json:"addr"`
	// Platforms it builds natively; empty takes whatever it advertises.
	Platforms []string `json:"platforms"`
	TLS       *TLS     `json:"tls"`
}

// TLS is a node's client certificate and the CA of its server.
type TLS struct {
	CA         string `json:"ca"`
	Cert       string `json:"cert"`
	Key        string `json:"key"`
	ServerName string `json:"serverName"`
}

// builderSchema closes the builder file: a typo is an error, not a node
// silently left out.
const builderSchema = `
close({
	allowEmulation?: bool
	nodes!: [...close({
		name?:      string
		addr!:      string
		platforms?: [...string]
		tls?: close({ca?: string, cert?: string, key?: string, serverName?: string})
	})]
})
`

// LoadBuilder reads a builder file (bricklayer.builder.cue): it describes
// infrastructure, so it is kept out of the checked-in spec.
func LoadBuilder(file string) (*Builder, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading builder: %w", err)
	}
	ctx := cuecontext.New()
	v := ctx.CompileBytes(src, cue.Filename(file)).Unify(ctx.CompileString(builderSchema))
	if err := v.Validate(cue.Concrete(true)); err != nil {
		return nil, err
	}
	var b Builder
	if err := v.Decode(&b); err != nil {
		return nil, err
	}
	for i := range b.Nodes {
		if err := b.Nodes[i].normalize(i); err != nil {
			return nil, fmt.Errorf("%s: nodes[%d]: %w", file, i, err)
		}
	}
	return &b, nil
}

// ParseNode reads --node PLATFORMS=ADDR, e.g.
// linux/arm64,linux/arm/v7=tcp://pi.local:1234.
func ParseNode(s string, i int) (Node, error) {
	plats, addr, ok := strings.Cut(s, "=")
	if !ok || addr == "" || plats == "" {
		return Node{}, fmt.Errorf("--node %q: want PLATFORM[,PLATFORM...]=ADDR", s)
	}
	n := Node{Addr: addr, Platforms: strings.Split(plats, ",")}
	if err := n.normalize(i); err != nil {
		return Node{}, fmt.Errorf("--node %q: %w", s, err)
	}
	return n, nil
}

func (n *Node) normalize(i int) error {
	if n.Name == "" {
		n.Name = fmt.Sprintf("node%d", i+1)
	}
	for j, p := range n.Platforms {
		norm, err := spec.NormalizePlatform(p)
		if err != nil {
			return err
		}
		n.Platforms[j] = norm
	}
	return nil
}

func (n Node) String() string {
	if len(n.Platforms) == 0 {
		return n.Name + " (" + n.Addr + ")"
	}
	return fmt.Sprintf("%s (%s: %s)", n.Name, n.Addr, strings.Join(n.Platforms, ", "))
}

func (n Node) clientOpts() []client.ClientOpt {
	if n.TLS == nil {
		return nil
	}
	var opts []client.ClientOpt
	if n.TLS.CA != "" {
		opts = append(opts, client.WithServerConfig(n.TLS.ServerName, n.TLS.CA))
	}
	if n.TLS.Cert != "" {
		opts = append(opts, client.WithCredentials(n.TLS.Cert, n.TLS.Key))
	}
	return opts
}

// connected is a node with its client and what its workers build.
type connected struct {
	Node
	c         *client.Client
	advertise []string
}

// connectAll reaches every node; an unreachable node names itself.
func connectAll(ctx context.Context, b *Builder) ([]*connected, error) {
	var out []*connected
	for _, n := range b.Nodes {
		c, workers, err := connect(ctx, n.Addr, n.clientOpts()...)
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		out = append(out, &connected{Node: n, c: c, advertise: workerPlatforms(workers)})
	}
	return out, nil
}

func closeAll(nodes []*connected) {
	for _, n := range nodes {
		n.c.Close()
	}
}

// route picks the node of each platform: one that serves it natively,
// else (with AllowEmulation) one whose workers build it, else an error
// that names the platform.
func route(b *Builder, nodes []*connected, plats []string) (map[string]*connected, error) {
	out := map[string]*connected{}
	for _, p := range plats {
		for _, n := range nodes {
			if slices.Contains(n.Platforms, p) || (len(n.Platforms) == 0 && slices.Contains(n.advertise, p)) {
				out[p] = n
				break
			}
		}
		if out[p] != nil {
			continue
		}
		if b.AllowEmulation {
			for _, n := range nodes {
				if slices.Contains(n.advertise, p) {
					out[p] = n
					break
				}
			}
			if out[p] != nil {
				continue
			}
		}
		var names []string
		for _, n := range nodes {
			names = append(names, n.String())
		}
		msg := fmt.Sprintf("platform %s: no node of the builder builds it natively (%s)", p, strings.Join(names, "; "))
		if !b.AllowEmulation {
			msg += "; allowEmulation lets a node build it under QEMU"
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return out, nil
}
