package builders

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	// Connection helpers for the addresses a node may have besides
	// unix:// and tcp://.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/ssh"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/platform"
)

// Builder is the BuildKit daemons a build runs on: each node builds the
// platforms it serves natively.
type Builder struct {
	Nodes []Node
	// AllowEmulation lets a platform no node serves natively go to a node
	// whose daemon builds it under QEMU.
	AllowEmulation bool
	// single is set on the builder of SingleDaemon: errors then speak of "the
	// daemon" rather than of nodes.
	single bool
}

// Single tells whether b is the one daemon of --addr (SingleDaemon).
func (b *Builder) Single() bool { return b.single }

// SingleDaemon is the builder of one daemon at addr, taking every
// platform it advertises.
func SingleDaemon(addr string) *Builder {
	return &Builder{Nodes: []Node{{Name: "default", Addr: addr}}, single: true}
}

// Node is one daemon of a builder.
type Node struct {
	Name string
	// Addr is unix://, tcp://, docker-container://, kube-pod:// or ssh://.
	Addr string
	// Platforms it builds natively; empty takes whatever it advertises.
	Platforms []platform.Platform
	TLS       *TLS
	// Insecure lets a tcp:// node without TLS be used: anyone who
	// reaches its port can run steps as root on it.
	Insecure bool
}

// TLS is a node's client certificate and the CA of its server.
type TLS struct {
	CA         string `json:"ca"`
	Cert       string `json:"cert"`
	Key        string `json:"key"`
	ServerName string `json:"serverName"`
}

// ParseNode reads --node PLATFORMS=ADDR, e.g.
// linux/arm64,linux/arm/v7=tcp://pi.local:1234; i numbers its name.
func ParseNode(s string, i int) (Node, error) {
	plats, addr, ok := strings.Cut(s, "=")
	if !ok || addr == "" || plats == "" {
		return Node{}, fmt.Errorf("--node %q: want PLATFORM[,PLATFORM...]=ADDR", s)
	}
	ps, err := platform.ParseList([]string{plats})
	if err != nil {
		return Node{}, fmt.Errorf("--node %q: %w", s, err)
	}
	if err := CheckAddr(addr); err != nil {
		return Node{}, fmt.Errorf("--node %q: %w", s, err)
	}
	return Node{Name: fmt.Sprintf("node%d", i+1), Addr: addr, Platforms: ps}, nil
}

func (n Node) String() string {
	if len(n.Platforms) == 0 {
		return n.Name + " (" + n.Addr + ")"
	}
	return fmt.Sprintf("%s (%s: %s)", n.Name, n.Addr, platform.Join(n.Platforms))
}

// MaxTLSFile bounds a node's CA, certificate and key files: what
// bricklayer reads of them, and what BuildKit's client is handed.
const MaxTLSFile = 1 << 20

// TLSFileError is a node's TLS file that bricklayer does not hand to
// BuildKit's client.
type TLSFileError struct {
	Node string
	Err  error
}

func (e *TLSFileError) Error() string { return fmt.Sprintf("node %s: TLS file: %v", e.Node, e.Err) }
func (e *TLSFileError) Unwrap() error { return e.Err }

// checkTLSFiles refuses TLS files that are not regular files of at most
// MaxTLSFile: BuildKit's client reads them whole, and a FIFO would hang
// it.
func (n Node) checkTLSFiles() error {
	if n.TLS == nil {
		return nil
	}
	for _, p := range []string{n.TLS.CA, n.TLS.Cert, n.TLS.Key} {
		if p == "" {
			continue
		}
		if _, err := safefile.Read(p, MaxTLSFile); err != nil {
			return &UnreachableError{Addr: n.Addr, Err: &TLSFileError{Node: n.Name, Err: err}}
		}
	}
	return nil
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

// Conn is a node with its client and what its workers build.
type Conn struct {
	Node
	Client *client.Client
	// Advertised are the platforms its workers build, natively or not;
	// the first is the daemon's own.
	Advertised []platform.Platform
}

// ConnectAll reaches every node; an unreachable node names itself.
func ConnectAll(ctx context.Context, b *Builder) ([]*Conn, error) {
	var out []*Conn
	for _, n := range b.Nodes {
		if err := n.checkTLSFiles(); err != nil {
			CloseAll(out)
			return nil, err
		}
		c, workers, err := connect(ctx, n.Addr, n.clientOpts()...)
		if err != nil {
			CloseAll(out)
			if b.single {
				return nil, err
			}
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		out = append(out, &Conn{Node: n, Client: c, Advertised: workerPlatforms(workers)})
	}
	return out, nil
}

// CloseAll closes the clients of nodes.
func CloseAll(nodes []*Conn) {
	for _, n := range nodes {
		n.Client.Close()
	}
}

// builds tells whether the node's workers build p: what they advertise,
// or a platform the same machine runs (arm64 runs arm/v7).
func (n *Conn) builds(p platform.Platform) bool {
	want := p.OCI()
	for _, h := range n.Advertised {
		if h == p || platforms.Only(h.OCI()).Match(want) {
			return true
		}
	}
	return false
}

// RouteError is a platform no node of the builder takes.
type RouteError struct {
	Platform platform.Platform
	msg      string
}

func (e *RouteError) Error() string { return e.msg }

// Route picks the node of each platform: one that serves it natively,
// else (with AllowEmulation) one whose workers build it, else a
// RouteError that names the platform.
func Route(b *Builder, nodes []*Conn, plats []platform.Platform) (map[platform.Platform]*Conn, error) {
	out := map[platform.Platform]*Conn{}
	for _, p := range plats {
		out[p] = pick(b, nodes, p)
		if out[p] != nil {
			continue
		}
		if b.single && len(nodes) == 1 {
			return nil, &RouteError{Platform: p, msg: fmt.Sprintf(
				"platform %s is not supported by the daemon at %s (it builds %s); bricklayer builder bootstrap sets up emulation for the spec's platforms (a docker-container builder runs them with its image's emulators; otherwise it registers the host's qemu-user-static, then restart buildkitd)",
				p, nodes[0].Addr, platform.Join(nodes[0].Advertised))}
		}
		var names []string
		for _, n := range nodes {
			names = append(names, n.String())
		}
		msg := fmt.Sprintf("platform %s: no node of the builder builds it natively (%s)", p, strings.Join(names, "; "))
		if !b.AllowEmulation {
			msg += "; allowEmulation lets a node build it under QEMU"
		}
		return nil, &RouteError{Platform: p, msg: msg}
	}
	return out, nil
}

func pick(b *Builder, nodes []*Conn, p platform.Platform) *Conn {
	for _, n := range nodes {
		if len(n.Platforms) > 0 {
			for _, q := range n.Platforms {
				if q == p {
					return n
				}
			}
		} else if n.builds(p) {
			return n
		}
	}
	if b.AllowEmulation {
		for _, n := range nodes {
			if n.builds(p) {
				return n
			}
		}
	}
	return nil
}

// CheckTLS refuses a tcp:// node without a client certificate and the
// server's CA, unless it is marked insecure.
func (n Node) CheckTLS() error {
	if !strings.HasPrefix(n.Addr, "tcp://") || n.Insecure {
		return nil
	}
	if n.TLS == nil || n.TLS.CA == "" || n.TLS.Cert == "" || n.TLS.Key == "" {
		return &AddrError{Addr: n.Addr, msg: fmt.Sprintf("node %s: %s is tcp:// without TLS: anyone who reaches it can run steps as root there; give its tls: {ca, cert, key}", n.Name, n.Addr)}
	}
	return nil
}

// Check refuses nodes that are unsafe to use, and returns a warning for
// each that is used anyway (insecure: true).
func (b *Builder) Check() (warnings []string, err error) {
	for _, n := range b.Nodes {
		if err := n.CheckTLS(); err != nil {
			return nil, err
		}
		if n.Insecure && strings.HasPrefix(n.Addr, "tcp://") && n.TLS == nil {
			warnings = append(warnings, fmt.Sprintf("node %s: %s has no TLS; anyone who reaches it can run steps as root there", n.Name, n.Addr))
		}
	}
	return warnings, nil
}

// AddrError is an address bricklayer cannot use: a usage error.
type AddrError struct {
	Addr string
	msg  string
}

func (e *AddrError) Error() string { return e.msg }

// Kind makes a daemon address BuildKit cannot reach a bad command line.
func (e *AddrError) Kind() errkind.Kind { return errkind.Usage }

// schemes are the address schemes BuildKit's client connects over.
var schemes = []string{"unix", "tcp", "docker-container", "kube-pod", "ssh", "npipe"}

// CheckAddr refuses an address whose scheme BuildKit's client does not
// know, before anything tries to reach it.
func CheckAddr(addr string) error {
	scheme, rest, ok := strings.Cut(addr, "://")
	if !ok || rest == "" {
		return &AddrError{Addr: addr, msg: fmt.Sprintf("address %q: want SCHEME://..., with scheme %s", addr, strings.Join(schemes, ", "))}
	}
	for _, s := range schemes {
		if s == scheme {
			return nil
		}
	}
	return &AddrError{Addr: addr, msg: fmt.Sprintf("address %q: unsupported scheme %q (want %s)", addr, scheme, strings.Join(schemes, ", "))}
}
