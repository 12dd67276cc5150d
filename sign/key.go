package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// The PEM block types of the private keys cosign writes (generate-key-pair,
// import-key-pair): a PKCS #8 key encrypted with scrypt and NaCl secretbox
// in go-securesystemslib's format. Older cosign wrote the first.
const (
	cosignKeyType   = "ENCRYPTED COSIGN PRIVATE KEY"
	sigstoreKeyType = "ENCRYPTED SIGSTORE PRIVATE KEY"
)

// EnvPrefix names a key held in an environment variable rather than a
// file, as cosign's --key does: env://COSIGN_PRIVATE_KEY.
const EnvPrefix = "env://"

// PasswordEnv is the variable the key's password comes from, as for cosign.
const PasswordEnv = "COSIGN_PASSWORD"

// maxKey bounds a key file: a PEM key is a few hundred bytes.
const maxKey = 64 << 10

// Key is a private key that signs, and the hash its signatures are made
// over: the one cosign verifies an ECDSA key's signatures with.
type Key struct {
	signer *ecdsa.PrivateKey
	hash   crypto.Hash
}

// Public is the key's public half.
func (k *Key) Public() *ecdsa.PublicKey { return &k.signer.PublicKey }

// KeyError is a key that cannot be read, decrypted or used: nothing was
// built or pushed when it is found.
type KeyError struct {
	Ref string
	Err error
}

func (e *KeyError) Error() string      { return fmt.Sprintf("signing key %s: %v", e.Ref, e.Err) }
func (e *KeyError) Unwrap() error      { return e.Err }
func (e *KeyError) Kind() errkind.Kind { return errkind.Failed }

// LoadKey reads the key ref names: a cosign key file, or env://VAR for one
// held in the variable VAR. Its password is $COSIGN_PASSWORD (none: the
// empty password, which cosign allows). getenv reads the environment.
func LoadKey(ref string, getenv func(string) string) (*Key, error) {
	var pemBytes []byte
	if v, ok := strings.CutPrefix(ref, EnvPrefix); ok {
		if v == "" {
			return nil, &KeyError{Ref: ref, Err: errors.New("no variable named after " + EnvPrefix)}
		}
		pemBytes = []byte(getenv(v))
		if len(pemBytes) == 0 {
			return nil, &KeyError{Ref: ref, Err: fmt.Errorf("$%s is empty or not set", v)}
		}
	} else {
		dt, err := safefile.Read(ref, maxKey)
		if err != nil {
			return nil, &KeyError{Ref: ref, Err: err}
		}
		pemBytes = dt
	}
	k, err := parseKey(pemBytes, []byte(getenv(PasswordEnv)))
	if err != nil {
		return nil, &KeyError{Ref: ref, Err: err}
	}
	return k, nil
}

// parseKey decrypts a cosign private key with password.
func parseKey(pemBytes, password []byte) (*Key, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("not a PEM key (want cosign's encrypted private key: cosign generate-key-pair writes one)")
	}
	if block.Type != sigstoreKeyType && block.Type != cosignKeyType {
		return nil, fmt.Errorf("a %q PEM block, want %q (cosign generate-key-pair or import-key-pair writes one)", block.Type, sigstoreKeyType)
	}
	der, err := encrypted.Decrypt(block.Bytes, password)
	if err != nil {
		return nil, fmt.Errorf("decrypting with $%s: %w", PasswordEnv, err)
	}
	pk, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("the decrypted key: %w", err)
	}
	ec, ok := pk.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T key: bricklayer signs with ECDSA keys (cosign generate-key-pair's default)", pk)
	}
	h, err := hashFor(ec.Curve)
	if err != nil {
		return nil, err
	}
	return &Key{signer: ec, hash: h}, nil
}

// hashFor is the digest cosign verifies an ECDSA key's signatures over,
// by its curve.
func hashFor(c elliptic.Curve) (crypto.Hash, error) {
	switch c {
	case elliptic.P256():
		return crypto.SHA256, nil
	case elliptic.P384():
		return crypto.SHA384, nil
	case elliptic.P521():
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("an ECDSA key on %s: want P-256, P-384 or P-521", c.Params().Name)
}
