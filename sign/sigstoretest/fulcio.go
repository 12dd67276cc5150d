package sigstoretest

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// serveFulcio is POST /api/v2/signingCert: the token (in the body's
// credentials, else the Authorization header) must be the issuer's, the
// proof of possession a signature of the token's subject by the key
// posted. The leaf names the token's email, or its workflow.
func (s *Sigstore) serveFulcio(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	fail, detached := s.failFulcio, s.detached
	s.mu.Unlock()
	if r.URL.Path != "/api/v2/signingCert" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if fail {
		http.Error(w, `{"code": 13, "message": "fulcio is down (injected)"}`, http.StatusInternalServerError)
		return
	}
	var req struct {
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
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	token := req.Credentials.OIDCIdentityToken
	if token == "" {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	claims, err := s.verifyJWT(token)
	if err != nil {
		http.Error(w, "the identity token: "+err.Error(), http.StatusUnauthorized)
		return
	}
	leaf, err := s.issueLeaf(claims, req.PublicKeyRequest.PublicKey.Algorithm, req.PublicKeyRequest.PublicKey.Content, req.PublicKeyRequest.ProofOfPossession)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	chain := map[string]any{"chain": map[string]any{"certificates": []string{string(pemCert(leaf)), string(pemCert(s.interCert)), string(s.RootPEM)}}}
	key := "signedCertificateEmbeddedSct"
	if detached {
		key = "signedCertificateDetachedSct"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{key: chain})
}

func (s *Sigstore) issueLeaf(claims map[string]any, alg, keyPEM, proof string) (*x509.Certificate, error) {
	if alg != "ECDSA" {
		return nil, fmt.Errorf("algorithm %q, want ECDSA", alg)
	}
	block, _ := pem.Decode([]byte(keyPEM))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("the public key is not PEM")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T key", k)
	}
	subject, _ := claims["sub"].(string)
	if email, _ := claims["email"].(string); email != "" {
		if claims["email_verified"] != true {
			return nil, fmt.Errorf("email %s not verified", email)
		}
		subject = email
	}
	sig, err := base64.StdEncoding.DecodeString(proof)
	sum := sha256.Sum256([]byte(subject))
	if err != nil || !ecdsa.VerifyASN1(pub, sum[:], sig) {
		return nil, fmt.Errorf("the proof of possession is not a signature of %q by the key", subject)
	}
	issuer, _ := claims["iss"].(string)
	v2, err := asn1.MarshalWithParams(issuer, "utf8")
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		NotBefore:    now.Add(-time.Second), NotAfter: now.Add(10 * time.Minute),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{
			{Id: issuerV1, Value: []byte(issuer)},
			{Id: issuerV2, Value: v2},
		},
	}
	switch ref, _ := claims["job_workflow_ref"].(string); {
	case claims["email"] != nil:
		tmpl.EmailAddresses = []string{subject}
	case ref != "":
		u, err := workflowURI(ref)
		if err != nil {
			return nil, err
		}
		tmpl.URIs = []*url.URL{u}
	default:
		return nil, fmt.Errorf("the token has no identity this Fulcio certifies")
	}
	leaf, err := issue(tmpl, s.interCert, pub, s.interKey)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.certsIssued++
	s.mu.Unlock()
	return leaf, nil
}
