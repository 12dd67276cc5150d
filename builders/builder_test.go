package builders

import (
	"errors"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/platform"
)

func TestParseNode(t *testing.T) {
	n, err := ParseNode("linux/arm64/v8,linux/arm=tcp://pi:1234", 1)
	if err != nil {
		t.Fatal(err)
	}
	if n.Name != "node2" || n.Addr != "tcp://pi:1234" || platform.Join(n.Platforms) != "linux/arm64, linux/arm/v7" {
		t.Errorf("ParseNode = %+v", n)
	}
	for _, bad := range []string{"tcp://x", "=tcp://x", "linux/amd64=", "linux=tcp://x", "linux/amd64=bogus://x"} {
		if _, err := ParseNode(bad, 0); err == nil {
			t.Errorf("ParseNode(%q) accepted", bad)
		}
	}
}

func p(s string) platform.Platform {
	pl, err := platform.Parse(s)
	if err != nil {
		panic(err)
	}
	return pl
}

func TestRoute(t *testing.T) {
	amd64, arm64, armv7, s390x := p("linux/amd64"), p("linux/arm64"), p("linux/arm/v7"), p("linux/s390x")
	x86 := &Conn{Node: Node{Name: "x86", Platforms: []platform.Platform{amd64}}, Advertised: []platform.Platform{amd64, arm64, armv7}}
	arm := &Conn{Node: Node{Name: "arm", Platforms: []platform.Platform{arm64}}, Advertised: []platform.Platform{arm64, armv7}}
	nodes := []*Conn{x86, arm}
	r, err := Route(&Builder{}, nodes, []platform.Platform{amd64, arm64})
	if err != nil || r[amd64] != x86 || r[arm64] != arm {
		t.Errorf("native routing = %v, %v", r, err)
	}
	if _, err := Route(&Builder{}, nodes, []platform.Platform{armv7}); err == nil || !strings.Contains(err.Error(), "platform linux/arm/v7: no node") {
		t.Errorf("unserved platform: %v", err)
	}
	r, err = Route(&Builder{AllowEmulation: true}, nodes, []platform.Platform{armv7})
	if err != nil || r[armv7] != x86 {
		t.Errorf("emulated routing = %v, %v", r, err)
	}
	any := &Conn{Node: Node{Name: "any"}, Advertised: []platform.Platform{amd64, s390x}}
	r, err = Route(&Builder{}, []*Conn{any}, []platform.Platform{s390x})
	if err != nil || r[s390x] != any {
		t.Errorf("a node without platforms takes what it advertises: %v, %v", r, err)
	}
	one := &Conn{Node: Node{Name: "default", Addr: "unix:///x"}, Advertised: []platform.Platform{amd64}}
	if _, err := Route(SingleDaemon("unix:///x"), []*Conn{one}, []platform.Platform{arm64}); err == nil || !strings.Contains(err.Error(), "platform linux/arm64 is not supported by the daemon at unix:///x (it builds linux/amd64)") {
		t.Errorf("single daemon: %v", err)
	}
}

func TestCheckAddr(t *testing.T) {
	for _, ok := range []string{"unix:///run/buildkit/buildkitd.sock", "tcp://1.2.3.4:1234", "docker-container://bk", "kube-pod://p", "ssh://me@host"} {
		if err := CheckAddr(ok); err != nil {
			t.Errorf("CheckAddr(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"bogus://x", "/run/x.sock", "tcp://", ""} {
		var ae *AddrError
		if err := CheckAddr(bad); !errors.As(err, &ae) || errkind.Of(err) != errkind.Usage {
			t.Errorf("CheckAddr(%q) = %v, want an AddrError, a bad command line", bad, err)
		}
	}
}

func TestClientOpts(t *testing.T) {
	n := Node{Addr: "tcp://10.0.0.1:1234", TLS: &TLS{CA: "ca.pem", Cert: "c.pem", Key: "c-key.pem"}}
	if got := len(n.clientOpts()); got != 2 {
		t.Errorf("a node with a CA and a client certificate has %d client options, want 2", got)
	}
	if got := len((Node{Addr: "unix:///x"}).clientOpts()); got != 0 {
		t.Errorf("a node without TLS has %d client options", got)
	}
}
