package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseNode(t *testing.T) {
	n, err := ParseNode("linux/arm64/v8,linux/arm=tcp://pi:1234", 1)
	if err != nil {
		t.Fatal(err)
	}
	if n.Name != "node2" || n.Addr != "tcp://pi:1234" || strings.Join(n.Platforms, " ") != "linux/arm64 linux/arm/v7" {
		t.Errorf("ParseNode = %+v", n)
	}
	for _, bad := range []string{"tcp://x", "=tcp://x", "linux/amd64=", "linux=tcp://x"} {
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
	b, err := LoadBuilder(write(`
allowEmulation: true
nodes: [
	{name: "x86", addr: "tcp://10.0.0.1:1234", platforms: ["linux/amd64"], tls: {ca: "ca.pem", cert: "c.pem", key: "k.pem"}},
	{addr: "kube-pod://buildkitd-arm"},
]`))
	if err != nil {
		t.Fatal(err)
	}
	if !b.AllowEmulation || len(b.Nodes) != 2 || b.Nodes[0].TLS.CA != "ca.pem" || b.Nodes[1].Name != "node2" {
		t.Errorf("LoadBuilder = %+v", b)
	}
	if len(b.Nodes[0].clientOpts()) != 2 {
		t.Errorf("TLS options not applied")
	}
	for _, bad := range []string{
		`nodes: [{adr: "tcp://x"}]`,                              // typo
		`nodes: [{addr: "tcp://x", platforms: ["linux/sparc"]}]`, // bad platform
		`allowEmulation: true`,                                   // no nodes
	} {
		if _, err := LoadBuilder(write(bad)); err == nil {
			t.Errorf("LoadBuilder accepted %s", bad)
		}
	}
}

func TestRoute(t *testing.T) {
	x86 := &connected{Node: Node{Name: "x86", Platforms: []string{"linux/amd64"}}, advertise: []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}}
	arm := &connected{Node: Node{Name: "arm", Platforms: []string{"linux/arm64"}}, advertise: []string{"linux/arm64", "linux/arm/v7"}}
	nodes := []*connected{x86, arm}
	r, err := route(&Builder{}, nodes, []string{"linux/amd64", "linux/arm64"})
	if err != nil || r["linux/amd64"] != x86 || r["linux/arm64"] != arm {
		t.Errorf("native routing = %v, %v", r, err)
	}
	if _, err := route(&Builder{}, nodes, []string{"linux/arm/v7"}); err == nil || !strings.Contains(err.Error(), "platform linux/arm/v7: no node") {
		t.Errorf("unserved platform: %v", err)
	}
	r, err = route(&Builder{AllowEmulation: true}, nodes, []string{"linux/arm/v7"})
	if err != nil || r["linux/arm/v7"] != x86 {
		t.Errorf("emulated routing = %v, %v", r, err)
	}
	any := &connected{Node: Node{Name: "any"}, advertise: []string{"linux/amd64", "linux/s390x"}}
	r, err = route(&Builder{}, []*connected{any}, []string{"linux/s390x"})
	if err != nil || r["linux/s390x"] != any {
		t.Errorf("a node without platforms takes what it advertises: %v, %v", r, err)
	}
}
