package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// The public-good Sigstore instances, which keyless signing uses unless
// told otherwise.
const (
	DefaultFulcio = "https://fulcio.sigstore.dev"
	DefaultRekor  = "https://rekor.sigstore.dev"
)

// KeylessRef is the --sign value that signs keyless; options follow it
// after commas: keyless,fulcio=URL,rekor=URL.
const KeylessRef = "keyless"

// The variables cosign reads its own Sigstore's trust roots from; the
// signer checks Fulcio's chain and Rekor's signed timestamps with them
// when they are set.
const (
	RootFileEnv = "SIGSTORE_ROOT_FILE"
	RekorKeyEnv = "SIGSTORE_REKOR_PUBLIC_KEY"
)

// The annotations of cosign's signature layer that keyless signing adds.
const (
	certificateKey = "dev.sigstore.cosign/certificate"
	chainKey       = "dev.sigstore.cosign/chain"
	bundleKey      = "dev.sigstore.cosign/bundle"
)

// maxTrustFile bounds a root or key file: a few PEM blocks.
const maxTrustFile = 1 << 20

// Keyless signs as cosign does without a key of one's own: an OIDC
// identity token (GitHub Actions', or $SIGSTORE_ID_TOKEN) buys a
// certificate from Fulcio for a key made for the run, and each signature
// is logged in Rekor, whose signed entry timestamp goes beside it.
type Keyless struct {
	Fulcio, Rekor string // base URLs
	// Roots, when set, are the roots Fulcio's chain must end in.
	Roots *x509.CertPool
	// RekorKey, when set, must verify each entry's signed timestamp.
	RekorKey *ecdsa.PublicKey
	// Client reaches Fulcio, Rekor and the token's issuer; nil is a
	// client with a timeout.
	Client *http.Client
	token  tokenSource
	now    func() time.Time
}

// KeylessError is keyless signing that cannot start: no token, a trust
// root that cannot be read. Nothing was built when it is found.
type KeylessError struct{ Err error }

func (e *KeylessError) Error() string      { return "keyless signing: " + e.Err.Error() }
func (e *KeylessError) Unwrap() error      { return e.Err }
func (e *KeylessError) Kind() errkind.Kind { return errkind.Failed }

// OptionError is a --sign value that does not parse: a bad command line.
type OptionError struct{ Msg string }

func (e *OptionError) Error() string      { return "--sign: " + e.Msg }
func (e *OptionError) Kind() errkind.Kind { return errkind.Usage }

// IsKeyless tells a --sign value that asks for keyless signing (a key
// file named keyless is ./keyless).
func IsKeyless(ref string) bool {
	return ref == KeylessRef || strings.HasPrefix(ref, KeylessRef+",")
}

// ParseKeyless reads a keyless --sign value and finds where the token
// will come from, before anything is built: no token, no build. getenv
// reads the environment.
func ParseKeyless(ref string, getenv func(string) string) (*Keyless, error) {
	k := &Keyless{Fulcio: DefaultFulcio, Rekor: DefaultRekor, now: time.Now}
	if !IsKeyless(ref) {
		return nil, &OptionError{Msg: fmt.Sprintf("%q is not keyless", ref)}
	}
	var opts []string
	if rest := strings.TrimPrefix(ref, KeylessRef); rest != "" {
		opts = strings.Split(rest[1:], ",")
	}
	seen := map[string]bool{}
	for _, o := range opts {
		name, v, _ := strings.Cut(o, "=")
		if seen[name] {
			return nil, &OptionError{Msg: fmt.Sprintf("%s given twice", name)}
		}
		seen[name] = true
		switch name {
		case "fulcio", "rekor":
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return nil, &OptionError{Msg: fmt.Sprintf("%s=%q: want an http(s) URL", name, v)}
			}
			if name == "fulcio" {
				k.Fulcio = v
			} else {
				k.Rekor = v
			}
		default:
			return nil, &OptionError{Msg: fmt.Sprintf("keyless takes fulcio=URL and rekor=URL, not %q", o)}
		}
	}
	var err error
	if k.token, err = findToken(getenv, k.now()); err != nil {
		return nil, &KeylessError{Err: err}
	}
	if f := getenv(RootFileEnv); f != "" {
		if k.Roots, err = readRoots(f); err != nil {
			return nil, &KeylessError{Err: fmt.Errorf("$%s: %w", RootFileEnv, err)}
		}
	}
	if f := getenv(RekorKeyEnv); f != "" {
		if k.RekorKey, err = readECKey(f); err != nil {
			return nil, &KeylessError{Err: fmt.Errorf("$%s: %w", RekorKeyEnv, err)}
		}
	}
	return k, nil
}

// readRoots reads the self-signed certificates of a PEM file.
func readRoots(file string) (*x509.CertPool, error) {
	data, err := safefile.Read(file, maxTrustFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	n := 0
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		if c.CheckSignatureFrom(c) == nil {
			pool.AddCert(c)
			n++
		}
	}
	if n == 0 {
		return nil, errors.New("no root certificate in it")
	}
	return pool, nil
}

// readECKey reads an ECDSA public key, PEM-encoded PKIX.
func readECKey(file string) (*ecdsa.PublicKey, error) {
	data, err := safefile.Read(file, maxTrustFile)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM public key")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T key, want ECDSA", pub)
	}
	return ec, nil
}

// keylessRun is one run's signing: a key made for it, its certificate.
type keylessRun struct {
	k    *Keyless
	key  *ecdsa.PrivateKey
	cert *certificate
}

// start gets the token and the certificate of a new key.
func (k *Keyless) start(ctx context.Context) (*keylessRun, error) {
	client := k.Client
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	now := k.now
	if now == nil {
		now = time.Now
	}
	token, err := k.token.token(ctx, client)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, err := requestCertificate(ctx, client, k.Fulcio, token, key, k.Roots, now())
	if err != nil {
		return nil, err
	}
	return &keylessRun{k: &Keyless{Rekor: k.Rekor, RekorKey: k.RekorKey, Client: client}, key: key, cert: cert}, nil
}

// annotations signs payload, logs the signature in Rekor, and gives the
// layer's annotations: the signature, the certificate, its chain, and the
// Rekor bundle that lets cosign verify offline.
func (r *keylessRun) annotations(ctx context.Context, payload []byte) (map[string]string, error) {
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, r.key, sum[:])
	if err != nil {
		return nil, err
	}
	b, err := upload(ctx, r.k.Client, r.k.Rekor, newHashedRekord(sum[:], sig, r.cert.leafPEM), r.k.RekorKey)
	if err != nil {
		return nil, err
	}
	bundle, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		signatureKey:   base64.StdEncoding.EncodeToString(sig),
		certificateKey: string(r.cert.leafPEM),
		chainKey:       string(r.cert.chainPEM),
		bundleKey:      string(bundle),
	}, nil
}

// signed is false: a key of its own each run, nothing signed before.
func (r *keylessRun) signed([]byte, map[string]string) bool { return false }
