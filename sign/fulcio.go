package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// maxFulcioResponse bounds Fulcio's answer: a chain of three
// certificates.
const maxFulcioResponse = 1 << 20

// sanOID is the subject alternative name extension. Fulcio marks it
// critical, and Go leaves it unhandled when it holds only names Go does
// not parse (an OtherName for a user name): the name is checked by who
// verifies, not here.
var sanOID = asn1.ObjectIdentifier{2, 5, 29, 17}

// certificate is a code-signing certificate Fulcio issued for a key: the
// leaf, and the chain above it, PEM-encoded as cosign stores them.
type certificate struct {
	leaf     *x509.Certificate
	leafPEM  []byte
	chainPEM []byte // the intermediates, then the root
}

// fulcioRequest asks for a certificate of a public key (PEM), proven
// to be held by a signature over the token's subject.
type fulcioRequest struct {
	Credentials struct {
		OIDCIdentityToken string `json:"oidcIdentityToken"`
	} `json:"credentials"`
	PublicKeyRequest struct {
		PublicKey struct {
			Algorithm string `json:"algorithm"`
			Content   string `json:"content"`
		} `json:"publicKey"`
		ProofOfPossession string `json:"proofOfPossession"`
	} `json:"publicKeyRequest"`
}

// requestCertificate asks the Fulcio at base for a certificate of key's
// public half for the identity of token, proving possession of the key
// by signing the token's subject (its email, or sub) with it (Fulcio's
// v2 API: POST /api/v2/signingCert). roots, when set, are the Fulcio
// roots the chain must end in.
func requestCertificate(ctx context.Context, client *http.Client, base, token string, key *ecdsa.PrivateKey, roots *x509.CertPool, now time.Time) (*certificate, error) {
	c, err := parseClaims(token, now)
	if err != nil {
		return nil, fmt.Errorf("the identity token: %w", err)
	}
	subject, err := c.subject()
	if err != nil {
		return nil, fmt.Errorf("the identity token: %w", err)
	}
	sum := sha256.Sum256([]byte(subject))
	proof, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	var r fulcioRequest
	r.Credentials.OIDCIdentityToken = token
	r.PublicKeyRequest.PublicKey.Algorithm = "ECDSA"
	r.PublicKeyRequest.PublicKey.Content = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	r.PublicKeyRequest.ProofOfPossession = base64.StdEncoding.EncodeToString(proof)
	body, err := postJSON(ctx, client, "Fulcio", base, "/api/v2/signingCert", r,
		map[string]string{"Authorization": "Bearer " + token}, maxFulcioResponse, http.StatusOK, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	cert, err := readChain(body, &key.PublicKey, roots)
	if err != nil {
		return nil, fmt.Errorf("Fulcio at %s: %w", base, err)
	}
	return cert, nil
}

// readChain reads Fulcio's answer, whichever way it carries the SCT, and
// checks that the leaf certifies pub for code signing under the chain.
func readChain(body []byte, pub *ecdsa.PublicKey, roots *x509.CertPool) (*certificate, error) {
	type chain struct {
		Chain struct {
			Certificates []string `json:"certificates"`
		} `json:"chain"`
	}
	var doc struct {
		Embedded *chain `json:"signedCertificateEmbeddedSct"`
		Detached *chain `json:"signedCertificateDetachedSct"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	var pems []string
	switch {
	case doc.Embedded != nil:
		pems = doc.Embedded.Chain.Certificates
	case doc.Detached != nil:
		pems = doc.Detached.Chain.Certificates
	}
	if len(pems) < 2 {
		return nil, errors.New("the answer holds no certificate chain")
	}
	certs := make([]*x509.Certificate, len(pems))
	for i, p := range pems {
		block, _ := pem.Decode([]byte(p))
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("certificate %d of the chain is not PEM", i)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d of the chain: %w", i, err)
		}
		certs[i] = c
	}
	leaf := certs[0]
	if !pub.Equal(leaf.PublicKey) {
		return nil, errors.New("the certificate is for another key")
	}
	// Without roots of its own, the chain's own root: it checks the chain
	// holds together, not whom it ends in.
	if roots == nil {
		roots = x509.NewCertPool()
		roots.AddCert(certs[len(certs)-1])
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1 : len(certs)-1] {
		inter.AddCert(c)
	}
	unhandled := leaf.UnhandledCriticalExtensions[:0:0]
	for _, oid := range leaf.UnhandledCriticalExtensions {
		if !oid.Equal(sanOID) {
			unhandled = append(unhandled, oid)
		}
	}
	leaf.UnhandledCriticalExtensions = unhandled
	// At its own start: a runner's clock behind Fulcio's is no error.
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: leaf.NotBefore, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
		return nil, fmt.Errorf("the certificate: %w", err)
	}
	var chainPEM []byte
	for _, p := range pems[1:] {
		chainPEM = append(chainPEM, strings.TrimSpace(p)+"\n"...)
	}
	return &certificate{leaf: leaf, leafPEM: []byte(strings.TrimSpace(pems[0]) + "\n"), chainPEM: chainPEM}, nil
}
