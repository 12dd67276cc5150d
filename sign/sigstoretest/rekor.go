package sigstoretest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"time"
)

// serveRekor is POST /api/v1/log/entries for hashedrekord entries: the
// signature must verify over the digest with the key of the certificate
// (or public key) given. The entry is logged as canonical JSON (keys
// sorted, as a map marshals), and its signed entry timestamp signs the
// canonical JSON of body, integratedTime, logID and logIndex.
func (s *Sigstore) serveRekor(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	fail := s.failRek
	s.mu.Unlock()
	if r.URL.Path != "/api/v1/log/entries" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if fail {
		http.Error(w, `{"code": 500, "message": "rekor is down (injected)"}`, http.StatusInternalServerError)
		return
	}
	var entry map[string]any
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(raw, &entry); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := checkHashedRekord(raw); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body, err := json.Marshal(entry) // canonical: sorted keys, no blanks
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	der, _ := x509.MarshalPKIXPublicKey(&s.rekorKey.PublicKey)
	logID := sha256.Sum256(der)
	s.mu.Lock()
	index := s.entries
	s.entries++
	s.mu.Unlock()
	payload := map[string]any{
		"body":           base64.StdEncoding.EncodeToString(body),
		"integratedTime": time.Now().Unix(),
		"logID":          hex.EncodeToString(logID[:]),
		"logIndex":       index,
	}
	canon, err := json.Marshal(payload)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(canon)
	set, err := ecdsa.SignASN1(rand.Reader, s.rekorKey, sum[:])
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	payload["verification"] = map[string]any{"signedEntryTimestamp": base64.StdEncoding.EncodeToString(set)}
	leaf := sha256.Sum256(append([]byte{0}, body...))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{hex.EncodeToString(leaf[:]): payload})
}

// checkHashedRekord checks a proposed hashedrekord 0.0.1 entry.
func checkHashedRekord(raw []byte) error {
	var e struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Data struct {
				Hash struct{ Algorithm, Value string }
			}
			Signature struct {
				Content   []byte
				PublicKey struct{ Content []byte } `json:"publicKey"`
			}
		}
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return err
	}
	if e.APIVersion != "0.0.1" || e.Kind != "hashedrekord" || e.Spec.Data.Hash.Algorithm != "sha256" {
		return fmt.Errorf("want a hashedrekord 0.0.1 entry of a sha256 digest, got %s %s %s", e.Kind, e.APIVersion, e.Spec.Data.Hash.Algorithm)
	}
	sum, err := hex.DecodeString(e.Spec.Data.Hash.Value)
	if err != nil || len(sum) != sha256.Size {
		return fmt.Errorf("hash value %q", e.Spec.Data.Hash.Value)
	}
	block, _ := pem.Decode(e.Spec.Signature.PublicKey.Content)
	if block == nil {
		return fmt.Errorf("the verifier is not PEM")
	}
	var pub any
	if block.Type == "CERTIFICATE" {
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return err
		}
		pub = c.PublicKey
	} else if pub, err = x509.ParsePKIXPublicKey(block.Bytes); err != nil {
		return err
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || !ecdsa.VerifyASN1(ec, sum, e.Spec.Signature.Content) {
		return fmt.Errorf("the signature does not verify over the digest")
	}
	return nil
}
