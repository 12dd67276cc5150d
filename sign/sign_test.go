package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/ref"
)

// keyPEM is pk as cosign writes a private key: PKCS #8, encrypted with
// password, in a PEM block of type typ.
func keyPEM(t *testing.T, pk any, password, typ string) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(pk)
	if err != nil {
		t.Fatal(err)
	}
	// The lowest scrypt cost: the format names its parameters, so the
	// reader must take whatever it is given.
	enc, err := encrypted.EncryptWithCustomKDFParameters(der, []byte(password), encrypted.Legacy)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: enc})
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestLoadKey: a cosign key from a file or a variable, with the password
// from $COSIGN_PASSWORD; every key it cannot use is a KeyError (exit 1)
// that says why.
func TestLoadKey(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "cosign.key")
	if err := os.WriteFile(file, keyPEM(t, ec, "s3cret", sigstoreKeyType), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := LoadKey(file, env(map[string]string{PasswordEnv: "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	if !k.Public().Equal(&ec.PublicKey) {
		t.Error("loaded another key")
	}
	// Older cosign's block type, from a variable, with no password.
	if _, err := LoadKey("env://KEY", env(map[string]string{"KEY": string(keyPEM(t, ec, "", cosignKeyType))})); err != nil {
		t.Errorf("cosign's older key, empty password: %v", err)
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if k, err := parseKey(keyPEM(t, p384, "", sigstoreKeyType), nil); err != nil || k.hash.Size() != 48 {
		t.Errorf("P-384: %v", err)
	}
	plain, _ := x509.MarshalPKCS8PrivateKey(ec)
	for _, c := range []struct {
		name, ref string
		env       map[string]string
		want      string
	}{
		{"wrong password", file, map[string]string{PasswordEnv: "nope"}, "decrypting with $COSIGN_PASSWORD"},
		{"no file", filepath.Join(dir, "none.key"), nil, "none.key"},
		{"empty variable", "env://KEY", nil, "$KEY is empty or not set"},
		{"no variable", "env://", nil, "no variable named"},
		{"not PEM", "env://KEY", map[string]string{"KEY": "hello"}, "not a PEM key"},
		{"unencrypted", "env://KEY", map[string]string{"KEY": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: plain}))}, `a "PRIVATE KEY" PEM block`},
		{"RSA", "env://KEY", map[string]string{"KEY": string(keyPEM(t, rsaKey, "", sigstoreKeyType))}, "a *rsa.PrivateKey key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadKey(c.ref, env(c.env))
			var ke *KeyError
			if !errors.As(err, &ke) || errkind.Of(err) != errkind.Failed {
				t.Fatalf("got %v, want a KeyError", err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "signing key "+c.ref) {
				t.Errorf("got %q, want it to name the key and say %q", err, c.want)
			}
		})
	}
}

// TestSign signs an index in a registry and reads the signature back the
// way cosign does: an image tagged sha256-HEX.sig whose layer is the
// simple-signing payload about the digest, signed in its annotation.
// Signing again adds nothing; another key adds its own signature.
func TestSign(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	h, err := ref.ParseHost(host)
	if err != nil {
		t.Fatal(err)
	}
	reg := publish.Registry{Insecure: []ref.Host{h}}
	repo := host + "/acme/app"
	ctx := context.Background()

	// Something to sign: any index in the repository.
	idx, err := random.Index(16, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	target := Target{Repository: repo, Digest: digest.Digest(d.String())}
	if err := remote.WriteIndex(mustRef(t, repo+"@"+d.String()), idx); err != nil {
		t.Fatal(err)
	}

	k1, k2 := newKey(t), newKey(t)
	s := &Signer{Key: k1, Registry: reg}
	refs, err := s.Sign(ctx, []Target{target})
	if err != nil {
		t.Fatal(err)
	}
	want := repo + ":sha256-" + d.Hex + ".sig"
	if len(refs) != 1 || refs[0] != want {
		t.Fatalf("signature at %v, want %s", refs, want)
	}
	check := func(n int) {
		t.Helper()
		img, err := remote.Image(mustRef(t, want))
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Layers) != n {
			t.Fatalf("%d signatures, want %d", len(m.Layers), n)
		}
		ls, _ := img.Layers()
		for i, l := range m.Layers {
			rc, err := ls[i].Compressed()
			if err != nil {
				t.Fatal(err)
			}
			payload, _ := io.ReadAll(rc)
			var doc struct {
				Critical struct {
					Identity struct {
						DockerReference string `json:"docker-reference"`
					} `json:"identity"`
					Image struct {
						DockerManifestDigest string `json:"docker-manifest-digest"`
					} `json:"image"`
					Type string `json:"type"`
				} `json:"critical"`
			}
			if err := json.Unmarshal(payload, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Critical.Image.DockerManifestDigest != d.String() || doc.Critical.Identity.DockerReference != repo || doc.Critical.Type != payloadType {
				t.Errorf("payload %s", payload)
			}
			if l.MediaType != payloadMediaType {
				t.Errorf("layer media type %s", l.MediaType)
			}
			sig, _ := base64.StdEncoding.DecodeString(l.Annotations[signatureKey])
			sum := sha256.Sum256(payload)
			if !ecdsa.VerifyASN1(k1.Public(), sum[:], sig) && !ecdsa.VerifyASN1(k2.Public(), sum[:], sig) {
				t.Errorf("signature %d verifies with neither key", i)
			}
		}
	}
	check(1)
	if _, err := s.Sign(ctx, []Target{target}); err != nil {
		t.Fatal(err)
	}
	check(1)
	if _, err := (&Signer{Key: k2, Registry: reg}).Sign(ctx, []Target{target}); err != nil {
		t.Fatal(err)
	}
	check(2)

	// A registry that refuses the write: the error names the index.
	bad := Target{Repository: host + "/Bad", Digest: target.Digest}
	if _, err := s.Sign(ctx, []Target{bad}); err == nil || !strings.Contains(err.Error(), "signing "+host+"/Bad@") {
		t.Errorf("bad repository: %v", err)
	}
}

func newKey(t *testing.T) *Key {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := parseKey(keyPEM(t, ec, "", sigstoreKeyType), nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
