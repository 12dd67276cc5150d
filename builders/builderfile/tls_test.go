package builderfile

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bricklayer-build/bricklayer/spec"
)

// writeCertPair writes, in dir, a self-signed certificate NAME.pem and
// its key NAME-key.pem, as PEM.
func writeCertPair(t *testing.T, dir, name string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for file, block := range map[string]*pem.Block{
		name + ".pem":     {Type: "CERTIFICATE", Bytes: der},
		name + "-key.pem": {Type: "EC PRIVATE KEY", Bytes: kder},
	} {
		if err := os.WriteFile(filepath.Join(dir, file), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoadTLSFiles: a node's TLS file that is not what BuildKit's
// client needs (a device, a directory, a missing file, not PEM, a key of
// another certificate) is a mistake in the builder file, reported at its
// field with the others, before anything connects.
func TestLoadTLSFiles(t *testing.T) {
	dir := t.TempDir()
	writeCertPair(t, dir, "ca")
	writeCertPair(t, dir, "client")
	writeCertPair(t, dir, "other")
	if err := os.WriteFile(filepath.Join(dir, "text.pem"), []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "certs.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	const good = `ca: "ca.pem", cert: "client.pem", key: "client-key.pem", serverName: "x"`
	node := func(tls string) string {
		return "nodes: [{\n\tname: \"n\"\n\taddr: \"tcp://10.0.0.1:1234\"\n\ttls: {" + tls + "}\n}]\n"
	}
	at := func(col int, field, msg string) string {
		return fmt.Sprintf("bricklayer.builder.cue:4:%d: nodes[0].tls.%s: node n: %s", col, field, msg)
	}
	for _, tc := range []struct {
		name, tls string
		want      []string
	}{
		{"good", good, nil},
		{"device", `ca: "/dev/zero", cert: "client.pem", key: "client-key.pem"`,
			[]string{at(12, "ca", "/dev/zero is not a regular file (a device)")}},
		{"not PEM", `ca: "text.pem", cert: "client.pem", key: "client-key.pem"`,
			[]string{at(12, "ca", dir+"/text.pem holds no PEM certificate (want the CA that signed the daemon's)")}},
		{"missing", `ca: "nope.pem", cert: "client.pem", key: "client-key.pem"`,
			[]string{at(12, "ca", "open "+dir+"/nope.pem: no such file or directory")}},
		{"cert not PEM, key a directory", `ca: "ca.pem", cert: "text.pem", key: "certs.d"`,
			[]string{
				at(28, "cert", dir+"/text.pem holds no PEM certificate"),
				at(45, "key", dir+"/certs.d is not a regular file (a directory)"),
			}},
		{"key not PEM", `ca: "ca.pem", cert: "client.pem", key: "text.pem"`,
			[]string{at(47, "key", dir+"/text.pem is not the PEM key of "+dir+"/client.pem: tls: failed to find any PEM data in key input")}},
		{"key of another certificate", `ca: "ca.pem", cert: "client.pem", key: "other-key.pem"`,
			[]string{at(47, "key", dir+"/other-key.pem is not the PEM key of "+dir+"/client.pem: tls: private key does not match public key")}},
	} {
		f := filepath.Join(dir, "bricklayer.builder.cue")
		if err := os.WriteFile(f, []byte(node(tc.tls)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(f)
		var got []string
		for _, d := range spec.Diagnostics(err) {
			got = append(got, strings.TrimPrefix(d.String(), dir+"/"))
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s: diagnostics:\n%s\nwant:\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
		if tc.want == nil && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
