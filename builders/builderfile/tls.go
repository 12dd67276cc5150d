package builderfile

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// checkTLSContents checks the TLS files a node of the builder file names
// for what BuildKit's client needs: regular files, the CA a PEM
// certificate, cert a PEM certificate and key its PEM key. A wrong file
// is a mistake in the builder file, reported at its field (nv is the
// node's value); left to the client, it would read as a daemon that does
// not answer. A file bricklayer may not read is left to the connection,
// which reports the node unreachable.
func checkTLSContents(n builders.Node, nv cue.Value) cueerrors.Error {
	if n.TLS == nil {
		return nil
	}
	var errs cueerrors.Error
	bad := func(field string, format string, args ...any) {
		at := nv.LookupPath(cue.MakePath(cue.Str("tls"), cue.Str(field)))
		errs = cueerrors.Append(errs, fileError(at, fmt.Errorf("node %s: "+format, append([]any{n.Name}, args...)...)))
	}
	read := func(field, path string) []byte {
		if path == "" {
			return nil
		}
		dt, err := safefile.Read(path, builders.MaxTLSFile)
		switch {
		case errors.Is(err, fs.ErrPermission):
			return nil
		case err != nil:
			bad(field, "%v", err)
			return nil
		}
		return dt
	}
	if ca := read("ca", n.TLS.CA); ca != nil && !holdsCertificate(ca) {
		bad("ca", "%s holds no PEM certificate (want the CA that signed the daemon's)", n.TLS.CA)
	}
	switch {
	case n.TLS.Cert != "" && n.TLS.Key == "":
		bad("cert", "a client certificate needs its key: give tls.key too")
	case n.TLS.Key != "" && n.TLS.Cert == "":
		bad("key", "a client key needs its certificate: give tls.cert too")
	}
	cert, key := read("cert", n.TLS.Cert), read("key", n.TLS.Key)
	if cert != nil && !holdsCertificate(cert) {
		bad("cert", "%s holds no PEM certificate", n.TLS.Cert)
		return errs
	}
	if cert != nil && key != nil {
		if _, err := tls.X509KeyPair(cert, key); err != nil {
			bad("key", "%s is not the PEM key of %s: %v", n.TLS.Key, n.TLS.Cert, err)
		}
	}
	return errs
}

// holdsCertificate tells whether dt holds a PEM certificate, as BuildKit's
// client reads a CA file.
func holdsCertificate(dt []byte) bool {
	return x509.NewCertPool().AppendCertsFromPEM(dt)
}
