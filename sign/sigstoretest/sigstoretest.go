// Package sigstoretest serves a small Sigstore on loopback for tests of
// keyless signing: an OIDC issuer (with GitHub Actions' token endpoint),
// a Fulcio that checks the token and the proof of possession and issues
// a leaf under a test CA, and a Rekor that checks each hashedrekord
// signature and signs entry timestamps with a test key. Its trust roots
// are files cosign reads (SIGSTORE_ROOT_FILE, SIGSTORE_REKOR_PUBLIC_KEY).
package sigstoretest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Fulcio's certificate extensions of the token's issuer: the raw string
// (1.1, which cosign reads) and the DER UTF8String (1.8).
var (
	issuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	issuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

// Sigstore is the running fakes.
type Sigstore struct {
	Fulcio, Rekor, Issuer string // base URLs; Issuer is the tokens' iss
	// GitHubURL and GitHubBearer stand for ACTIONS_ID_TOKEN_REQUEST_URL
	// and ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	GitHubURL, GitHubBearer string
	// RootPEM is the CA root; RekorKeyPEM the log's public key (PKIX).
	RootPEM, RekorKeyPEM []byte

	servers              []*httptest.Server
	issuerKey, rekorKey  *ecdsa.PrivateKey
	rootCert, interCert  *x509.Certificate
	rootKey, interKey    *ecdsa.PrivateKey
	mu                   sync.Mutex
	failFulcio, failRek  bool
	detached             bool
	entries, certsIssued int
}

// New starts the fakes; Close stops them.
func New() (*Sigstore, error) {
	s := &Sigstore{GitHubBearer: "github-request-token"}
	var err error
	for _, k := range []**ecdsa.PrivateKey{&s.issuerKey, &s.rekorKey, &s.rootKey, &s.interKey} {
		if *k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	s.rootCert, err = issue(&x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sigstoretest root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, nil, &s.rootKey.PublicKey, s.rootKey)
	if err != nil {
		return nil, err
	}
	s.interCert, err = issue(&x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sigstoretest intermediate"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}, s.rootCert, &s.interKey.PublicKey, s.rootKey)
	if err != nil {
		return nil, err
	}
	s.RootPEM = pemCert(s.rootCert)
	der, err := x509.MarshalPKIXPublicKey(&s.rekorKey.PublicKey)
	if err != nil {
		return nil, err
	}
	s.RekorKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	issuer := httptest.NewServer(http.HandlerFunc(s.serveGitHub))
	fulcio := httptest.NewServer(http.HandlerFunc(s.serveFulcio))
	rekor := httptest.NewServer(http.HandlerFunc(s.serveRekor))
	s.servers = []*httptest.Server{issuer, fulcio, rekor}
	s.Issuer, s.Fulcio, s.Rekor = issuer.URL, fulcio.URL, rekor.URL
	s.GitHubURL = issuer.URL + "/token?api-version=2.0"
	return s, nil
}

// Close stops the servers.
func (s *Sigstore) Close() {
	for _, srv := range s.servers {
		srv.Close()
	}
}

// Fail makes Fulcio, or Rekor, answer every request with a 500.
func (s *Sigstore) Fail(fulcio, rekor bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failFulcio, s.failRek = fulcio, rekor
}

// Detached has Fulcio answer with signedCertificateDetachedSct.
func (s *Sigstore) Detached(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.detached = on
}

// Counts are the certificates issued and the entries logged so far.
func (s *Sigstore) Counts() (certs, entries int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.certsIssued, s.entries
}

// Token is an identity token of the issuer for audience sigstore, valid
// ten minutes, with claims added (sub, email, email_verified, or
// job_workflow_ref for a GitHub workflow's identity).
func (s *Sigstore) Token(claims map[string]any) (string, error) {
	c := map[string]any{"iss": s.Issuer, "aud": "sigstore", "iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	return s.jwt(c)
}

func (s *Sigstore) jwt(claims map[string]any) (string, error) {
	body, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"alg":"ES256","typ":"JWT"}`)) + "." + enc.EncodeToString(body)
	sum := sha256.Sum256([]byte(signing))
	r, ss, err := ecdsa.Sign(rand.Reader, s.issuerKey, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return signing + "." + enc.EncodeToString(sig), nil
}

// verifyJWT checks a token of the issuer and gives its claims.
func (s *Sigstore) verifyJWT(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return nil, errors.New("bad JWT signature encoding")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&s.issuerKey.PublicKey, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, errors.New("the JWT's signature does not verify")
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var c map[string]any
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, err
	}
	if c["iss"] != s.Issuer {
		return nil, fmt.Errorf("issuer %v is not trusted", c["iss"])
	}
	if c["aud"] != "sigstore" {
		return nil, fmt.Errorf("audience %v, want sigstore", c["aud"])
	}
	if exp, _ := c["exp"].(float64); int64(exp) <= time.Now().Unix() {
		return nil, errors.New("the token expired")
	}
	return c, nil
}

// serveGitHub is GitHub Actions' token endpoint: GET with the request
// token as bearer, the audience as a parameter; a workflow's identity.
func (s *Sigstore) serveGitHub(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/token" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "bearer "+s.GitHubBearer {
		http.Error(w, "bad request token", http.StatusUnauthorized)
		return
	}
	aud := r.URL.Query().Get("audience")
	if aud == "" {
		aud = "https://github.com/acme"
	}
	tok, err := s.Token(map[string]any{"aud": aud, "sub": "repo:acme/app:ref:refs/heads/main", "job_workflow_ref": "acme/app/.github/workflows/release.yml@refs/heads/main"})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"value": tok})
}

func issue(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) (*x509.Certificate, error) {
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// workflowURI is the identity Fulcio gives a GitHub workflow.
func workflowURI(ref string) (*url.URL, error) { return url.Parse("https://github.com/" + ref) }
