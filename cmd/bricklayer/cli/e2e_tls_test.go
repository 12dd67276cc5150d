package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// tlscerts DIR writes a CA (ca.pem), a server certificate for 127.0.0.1
// and localhost (server.pem, server-key.pem) and a client certificate
// (client.pem, client-key.pem) signed by it, and the certificate of an
// unrelated CA (other-ca.pem).
func tlsCerts(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tlscerts DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	write := func(name, typ string, der []byte) {
		data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
		ts.Check(os.WriteFile(filepath.Join(dir, name), data, 0o600))
	}
	serial := int64(0)
	// issue makes a key and a certificate of tmpl signed by parent (self
	// signed when parent is nil).
	issue := func(tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ts.Check(err)
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore = time.Now().Add(-time.Minute)
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		ts.Check(err)
		cert, err := x509.ParseCertificate(der)
		ts.Check(err)
		return cert, key
	}
	leaf := func(name string, cn string, usage x509.ExtKeyUsage, ca *x509.Certificate, caKey *ecdsa.PrivateKey, ips []net.IP, dns []string) {
		cert, key := issue(&x509.Certificate{
			Subject:     pkix.Name{CommonName: cn},
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: ips,
			DNSNames:    dns,
		}, ca, caKey)
		write(name+".pem", "CERTIFICATE", cert.Raw)
		der, err := x509.MarshalECPrivateKey(key)
		ts.Check(err)
		write(name+"-key.pem", "EC PRIVATE KEY", der)
	}
	newCA := func(cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
		return issue(&x509.Certificate{
			Subject:               pkix.Name{CommonName: cn},
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
			BasicConstraintsValid: true,
			IsCA:                  true,
		}, nil, nil)
	}

	ca, caKey := newCA("bricklayer test CA")
	write("ca.pem", "CERTIFICATE", ca.Raw)
	leaf("server", "buildkitd", x509.ExtKeyUsageServerAuth, ca, caKey, []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"})
	leaf("client", "bricklayer", x509.ExtKeyUsageClientAuth, ca, caKey, nil, nil)
	other, _ := newCA("unrelated test CA")
	write("other-ca.pem", "CERTIFICATE", other.Raw)
}

// freeport VAR sets VAR to a TCP port on 127.0.0.1 nothing listens on.
func freePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	ts.Check(l.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}

// waitfor ADDR SECONDS polls until unix://PATH or tcp://HOST:PORT accepts
// connections; ! waitfor until it no longer does.
func waitFor(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: [!] waitfor unix://PATH|tcp://HOST:PORT SECONDS")
	}
	network, addr, ok := strings.Cut(args[0], "://")
	if !ok || (network != "unix" && network != "tcp") {
		ts.Fatalf("waitfor: %q: want unix://PATH or tcp://HOST:PORT", args[0])
	}
	secs, err := strconv.Atoi(args[1])
	ts.Check(err)
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for {
		c, err := net.DialTimeout(network, addr, time.Second)
		if err == nil {
			c.Close()
		}
		if (err == nil) != neg {
			return
		}
		if time.Now().After(deadline) {
			if neg {
				ts.Fatalf("waitfor: %s still accepts connections after %ss", args[0], args[1])
			}
			ts.Fatalf("waitfor: %s accepts no connection after %ss: %v", args[0], args[1], err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
