package builderfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

func TestLoad(t *testing.T) {
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
	b, err := Load(write(`
allowEmulation: true
nodes: [
	{name: "x86", addr: "tcp://10.0.0.1:1234", platforms: ["linux/amd64"], tls: {ca: "ca.pem", cert: "c.pem", key: "c-key.pem"}},
	{addr: "kube-pod://buildkitd-arm"},
]`))
	if err != nil {
		t.Fatal(err)
	}
	if !b.AllowEmulation || len(b.Nodes) != 2 || b.Nodes[0].TLS.CA != filepath.Join(dir, "ca.pem") || b.Nodes[1].Name != "node2" {
		t.Errorf("Load = %+v", b)
	}
	if b.Nodes[0].TLS.Cert != filepath.Join(dir, "c.pem") || b.Nodes[0].TLS.Key != filepath.Join(dir, "c-key.pem") || platform.Join(b.Nodes[0].Platforms) != "linux/amd64" {
		t.Errorf("node x86 = %+v", b.Nodes[0])
	}
	for _, bad := range []string{
		`nodes: [{adr: "tcp://x"}]`,                                // typo
		`nodes: [{addr: "unix:///x", platforms: ["linux/sparc"]}]`, // bad platform
		`allowEmulation: true`,                                     // no nodes
	} {
		if _, err := Load(write(bad)); err == nil {
			t.Errorf("Load accepted %s", bad)
		}
	}
}

func TestLoadPositions(t *testing.T) {
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
		_, err := Load(f)
		var got []string
		for _, d := range spec.Diagnostics(err) {
			got = append(got, strings.TrimPrefix(d.String(), dir+"/"))
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}
