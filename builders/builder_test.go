package builders

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
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

func TestLoadBuilder(t *testing.T) {
	dir := t.TempDir()
	write := func(src string) string {
		f := filepath.Join(dir, "bricklayer.builder.cue")
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	// The TLS files are read (and checked) where the builder file is.
	writeCertPair(t, dir, "ca")
	writeCertPair(t, dir, "c")
	b, err := LoadBuilder(write(`
allowEmulation: true
nodes: [
	{name: "x86", addr: "tcp://10.0.0.1:1234", platforms: ["linux/amd64"], tls: {ca: "ca.pem", cert: "c.pem", key: "c-key.pem"}},
	{addr: "kube-pod://buildkitd-arm"},
]`))
	if err != nil {
		t.Fatal(err)
	}
	if !b.AllowEmulation || len(b.Nodes) != 2 || b.Nodes[0].TLS.CA != filepath.Join(dir, "ca.pem") || b.Nodes[1].Name != "node2" {
		t.Errorf("LoadBuilder = %+v", b)
	}
	if len(b.Nodes[0].clientOpts()) != 2 || platform.Join(b.Nodes[0].Platforms) != "linux/amd64" {
		t.Errorf("TLS options not applied")
	}
	for _, bad := range []string{
		`nodes: [{adr: "tcp://x"}]`,                                // typo
		`nodes: [{addr: "unix:///x", platforms: ["linux/sparc"]}]`, // bad platform
		`allowEmulation: true`,                                     // no nodes
	} {
		if _, err := LoadBuilder(write(bad)); err == nil {
			t.Errorf("LoadBuilder accepted %s", bad)
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
		if err := CheckAddr(bad); !IsAddrError(err) {
			t.Errorf("CheckAddr(%q) = %v, want an AddrError", bad, err)
		}
	}
}

func TestLoadBuilderPositions(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		src  string
		want []string
	}{
		{"nodes: [\n\t{addr: \"tcp://x\"},\n\t{adr: \"tcp://y\"},\n]\n",
			[]string{"bricklayer.builder.cue:3:3: nodes[1].adr: field not allowed"}},
		{"nodes: [\n\t{addr: \"tcp://x\", insecure: true, platforms: [\"linux/sparc\"]},\n\t{addr: \"bogus://z\"},\n]\n",
			[]string{
				`bricklayer.builder.cue:2:48: nodes[0].platforms[0]: invalid platform "linux/sparc": unknown architecture "sparc"`,
				`bricklayer.builder.cue:3:9: nodes[1].addr: address "bogus://z": unsupported scheme "bogus" (want unix, tcp, docker-container, kube-pod, ssh, npipe)`,
			}},
	} {
		f := filepath.Join(dir, "bricklayer.builder.cue")
		if err := os.WriteFile(f, []byte(tc.src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadBuilder(f)
		var got []string
		for _, d := range spec.Diagnostics(err) {
			got = append(got, strings.TrimPrefix(d.String(), dir+"/"))
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}
