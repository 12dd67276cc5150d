package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// maxRekorResponse bounds Rekor's answer: one entry and its proof.
const maxRekorResponse = 4 << 20

// hashedRekord is Rekor's entry of a signature over a digest: the
// digest, the signature and the certificate (PEM) that verifies it. Its
// fields are in the order canonical JSON sorts them.
type hashedRekord struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Data struct {
			Hash struct {
				Algorithm string `json:"algorithm"`
				Value     string `json:"value"`
			} `json:"hash"`
		} `json:"data"`
		Signature struct {
			Content   string `json:"content"`
			PublicKey struct {
				Content string `json:"content"`
			} `json:"publicKey"`
		} `json:"signature"`
	} `json:"spec"`
}

// newHashedRekord is the entry of sig over the SHA-256 digest sum, made
// with the key that certPEM certifies.
func newHashedRekord(sum []byte, sig, certPEM []byte) hashedRekord {
	var e hashedRekord
	e.APIVersion, e.Kind = "0.0.1", "hashedrekord"
	e.Spec.Data.Hash.Algorithm = "sha256"
	e.Spec.Data.Hash.Value = hex.EncodeToString(sum)
	e.Spec.Signature.Content = base64.StdEncoding.EncodeToString(sig)
	e.Spec.Signature.PublicKey.Content = base64.StdEncoding.EncodeToString(certPEM)
	return e
}

// rekorPayload is what Rekor's signed entry timestamp signs: the entry as
// the log holds it (base64), when and where it was logged. Its fields are
// in the order canonical JSON sorts them, and none needs escaping, so its
// JSON is canonical.
type rekorPayload struct {
	Body           string `json:"body"`
	IntegratedTime int64  `json:"integratedTime"`
	LogID          string `json:"logID"`
	LogIndex       int64  `json:"logIndex"`
}

// rekorBundle is cosign's dev.sigstore.cosign/bundle annotation: the
// signed entry timestamp (base64, as JSON writes bytes) and its payload.
type rekorBundle struct {
	SignedEntryTimestamp []byte
	Payload              rekorPayload
}

// logID is a Rekor log's ID for its key: the SHA-256 of the key's PKIX
// DER, in hex.
func logID(pub *ecdsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// verifySET checks a signed entry timestamp of p with the log's key.
func verifySET(p rekorPayload, set []byte, pub *ecdsa.PublicKey) error {
	id, err := logID(pub)
	if err != nil {
		return err
	}
	if p.LogID != id {
		return fmt.Errorf("the entry is of log %s, not of the log whose key is given (%s)", p.LogID, id)
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(doc)
	if !ecdsa.VerifyASN1(pub, sum[:], set) {
		return errors.New("the signed entry timestamp does not verify with the log's key")
	}
	return nil
}

// upload logs e in the Rekor at base (POST /api/v1/log/entries) and
// gives the bundle of the entry logged. It checks the log logged e, and,
// with logKey, the entry's signed timestamp.
func upload(ctx context.Context, client *http.Client, base string, e hashedRekord, logKey *ecdsa.PublicKey) (*rekorBundle, error) {
	body, err := postJSON(ctx, client, "Rekor", base, "/api/v1/log/entries", e,
		map[string]string{"Accept": "application/json"}, maxRekorResponse, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	b, err := readEntry(body, e, logKey)
	if err != nil {
		return nil, fmt.Errorf("Rekor at %s: %w", base, err)
	}
	return b, nil
}

// readEntry reads Rekor's answer: one entry, keyed by its UUID.
func readEntry(body []byte, sent hashedRekord, logKey *ecdsa.PublicKey) (*rekorBundle, error) {
	var entries map[string]logEntry
	if err := json.Unmarshal(body, &entries); err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(entries) != 1 {
		return nil, fmt.Errorf("the answer holds %d entries, want 1", len(entries))
	}
	var en logEntry
	for _, v := range entries {
		en = v
	}
	if en.LogIndex == nil || en.IntegratedTime == 0 || en.LogID == "" || len(en.Verification.SignedEntryTimestamp) == 0 {
		return nil, errors.New("the entry lacks its index, time, log ID or signed timestamp")
	}
	raw, err := base64.StdEncoding.DecodeString(en.Body)
	if err != nil {
		return nil, fmt.Errorf("the entry's body: %w", err)
	}
	var logged hashedRekord
	if err := json.Unmarshal(raw, &logged); err != nil {
		return nil, fmt.Errorf("the entry's body: %w", err)
	}
	if logged != sent {
		return nil, errors.New("the entry logged is not the one sent")
	}
	b := &rekorBundle{
		SignedEntryTimestamp: en.Verification.SignedEntryTimestamp,
		Payload:              rekorPayload{Body: en.Body, IntegratedTime: en.IntegratedTime, LogID: en.LogID, LogIndex: *en.LogIndex},
	}
	if logKey != nil {
		if err := verifySET(b.Payload, b.SignedEntryTimestamp, logKey); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// logEntry is an entry as Rekor answers with it.
type logEntry struct {
	Body           string `json:"body"`
	IntegratedTime int64  `json:"integratedTime"`
	LogID          string `json:"logID"`
	LogIndex       *int64 `json:"logIndex"`
	Verification   struct {
		SignedEntryTimestamp []byte `json:"signedEntryTimestamp"`
	} `json:"verification"`
}
