package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
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

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/ref"
	"github.com/bricklayer-build/bricklayer/sign/sigstoretest"
)

// keylessFixture is a registry holding an index to sign, and a fake
// Sigstore with its trust roots in files.
type keylessFixture struct {
	ss               *sigstoretest.Sigstore
	reg              publish.Registry
	target           Target
	rootFile, keyPEM string
	env              map[string]string
}

func newKeylessFixture(t *testing.T) *keylessFixture {
	t.Helper()
	ss, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ss.Close)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	h, err := ref.ParseHost(host)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := random.Index(16, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	repo := host + "/acme/app"
	if err := remote.WriteIndex(mustRef(t, repo+"@"+d.String()), idx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := &keylessFixture{
		ss: ss, reg: publish.Registry{Insecure: []ref.Host{h}},
		target:   Target{Repository: repo, Digest: digest.Digest(d.String())},
		rootFile: filepath.Join(dir, "root.pem"), keyPEM: filepath.Join(dir, "rekor.pub"),
	}
	if err := os.WriteFile(f.rootFile, ss.RootPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.keyPEM, ss.RekorKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := ss.Token(map[string]any{"sub": "u-1", "email": "dev@example.com", "email_verified": true})
	if err != nil {
		t.Fatal(err)
	}
	f.env = map[string]string{TokenEnv: tok, RootFileEnv: f.rootFile, RekorKeyEnv: f.keyPEM}
	return f
}

func (f *keylessFixture) ref() string {
	return "keyless,fulcio=" + f.ss.Fulcio + ",rekor=" + f.ss.Rekor
}

func (f *keylessFixture) signer(t *testing.T) *Signer {
	t.Helper()
	k, err := ParseKeyless(f.ref(), env(f.env))
	if err != nil {
		t.Fatal(err)
	}
	return &Signer{Keyless: k, Registry: f.reg}
}

// layers are the signature image's layers: each payload and its
// annotations.
func (f *keylessFixture) layers(t *testing.T) ([][]byte, []map[string]string) {
	t.Helper()
	img, err := remote.Image(mustRef(t, f.target.Repository+":"+SignatureTag(f.target.Digest)))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := img.Manifest()
	ls, _ := img.Layers()
	var payloads [][]byte
	var anns []map[string]string
	for i, l := range m.Layers {
		rc, err := ls[i].Compressed()
		if err != nil {
			t.Fatal(err)
		}
		p, _ := io.ReadAll(rc)
		payloads = append(payloads, p)
		anns = append(anns, l.Annotations)
	}
	return payloads, anns
}

// TestKeyless signs an index keyless and checks the layer as cosign
// would, with this test's own reading: the signature verifies with the
// certificate's key; the certificate names the token's email and issuer
// and chains to the fake's root through the chain annotation; the bundle's
// signed entry timestamp verifies with the log's key, and its body logs
// this signature, certificate and payload digest. Signing again (a new
// run, a new key) adds a second signature.
func TestKeyless(t *testing.T) {
	f := newKeylessFixture(t)
	ctx := context.Background()
	refs, err := f.signer(t).Sign(ctx, []Target{f.target})
	if err != nil {
		t.Fatal(err)
	}
	if want := f.target.Repository + ":" + SignatureTag(f.target.Digest); len(refs) != 1 || refs[0] != want {
		t.Fatalf("signature at %v, want %s", refs, want)
	}
	payloads, anns := f.layers(t)
	if len(payloads) != 1 {
		t.Fatalf("%d signatures, want 1", len(payloads))
	}
	checkKeylessLayer(t, f, payloads[0], anns[0], func(c *x509.Certificate) {
		if len(c.EmailAddresses) != 1 || c.EmailAddresses[0] != "dev@example.com" {
			t.Errorf("certificate names %v, want dev@example.com", c.EmailAddresses)
		}
	})
	if certs, entries := f.ss.Counts(); certs != 1 || entries != 1 {
		t.Errorf("%d certificates, %d entries; want 1, 1", certs, entries)
	}
	if _, err := f.signer(t).Sign(ctx, []Target{f.target}); err != nil {
		t.Fatal(err)
	}
	if payloads, _ := f.layers(t); len(payloads) != 2 {
		t.Errorf("%d signatures after a second run, want 2", len(payloads))
	}
}

// TestKeylessGitHub: in GitHub Actions the token is asked for with the
// request token and audience sigstore (the fake Fulcio refuses any
// other); a certificate of the workflow. Fulcio's detached-SCT answer
// reads the same.
func TestKeylessGitHub(t *testing.T) {
	f := newKeylessFixture(t)
	f.ss.Detached(true)
	delete(f.env, TokenEnv)
	f.env[githubURLEnv], f.env[githubBearerEnv] = f.ss.GitHubURL, f.ss.GitHubBearer
	if _, err := f.signer(t).Sign(context.Background(), []Target{f.target}); err != nil {
		t.Fatal(err)
	}
	payloads, anns := f.layers(t)
	checkKeylessLayer(t, f, payloads[0], anns[0], func(c *x509.Certificate) {
		want := "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
		if len(c.URIs) != 1 || c.URIs[0].String() != want {
			t.Errorf("certificate names %v, want %s", c.URIs, want)
		}
	})

	f.env[githubBearerEnv] = "wrong"
	_, err := f.signer(t).Sign(context.Background(), []Target{f.target})
	if err == nil || !strings.Contains(err.Error(), "asking GitHub Actions for an identity token: 401") {
		t.Errorf("a wrong request token: %v", err)
	}
}

func checkKeylessLayer(t *testing.T, f *keylessFixture, payload []byte, ann map[string]string, identity func(*x509.Certificate)) {
	t.Helper()
	block, _ := pem.Decode([]byte(ann[certificateKey]))
	if block == nil {
		t.Fatalf("no certificate annotation: %v", ann)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	identity(leaf)
	issuer := ""
	for _, e := range leaf.Extensions {
		if e.Id.String() == "1.3.6.1.4.1.57264.1.1" {
			issuer = string(e.Value)
		}
	}
	if issuer != f.ss.Issuer {
		t.Errorf("certificate's issuer %q, want %q", issuer, f.ss.Issuer)
	}
	inter, roots := x509.NewCertPool(), x509.NewCertPool()
	rest := []byte(ann[chainKey])
	var chain []*x509.Certificate
	for b, r := pem.Decode(rest); b != nil; b, r = pem.Decode(r) {
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, c)
	}
	if len(chain) != 2 || string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[1].Raw})) != string(f.ss.RootPEM) {
		t.Fatalf("chain of %d, want the intermediate and the fake's root", len(chain))
	}
	inter.AddCert(chain[0])
	roots.AddCert(chain[1])
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: leaf.NotBefore, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
		t.Errorf("the certificate does not chain to the root: %v", err)
	}
	sig, _ := base64.StdEncoding.DecodeString(ann[signatureKey])
	sum := sha256.Sum256(payload)
	if !ecdsa.VerifyASN1(leaf.PublicKey.(*ecdsa.PublicKey), sum[:], sig) {
		t.Error("the signature does not verify with the certificate's key")
	}

	var bundle struct {
		SignedEntryTimestamp []byte
		Payload              map[string]any
	}
	if err := json.Unmarshal([]byte(ann[bundleKey]), &bundle); err != nil {
		t.Fatal(err)
	}
	canon, _ := json.Marshal(bundle.Payload) // sorted keys: canonical here
	setSum := sha256.Sum256(canon)
	block, _ = pem.Decode(f.ss.RekorKeyPEM)
	logPub, _ := x509.ParsePKIXPublicKey(block.Bytes)
	if !ecdsa.VerifyASN1(logPub.(*ecdsa.PublicKey), setSum[:], bundle.SignedEntryTimestamp) {
		t.Error("the bundle's signed entry timestamp does not verify with the log's key")
	}
	body, _ := base64.StdEncoding.DecodeString(bundle.Payload["body"].(string))
	var entry struct {
		Spec struct {
			Data struct {
				Hash struct{ Value string }
			}
			Signature struct {
				Content   string
				PublicKey struct{ Content []byte } `json:"publicKey"`
			}
		}
	}
	if err := json.Unmarshal(body, &entry); err != nil {
		t.Fatal(err)
	}
	if entry.Spec.Data.Hash.Value != hex.EncodeToString(sum[:]) || entry.Spec.Signature.Content != ann[signatureKey] || string(entry.Spec.Signature.PublicKey.Content) != ann[certificateKey] {
		t.Errorf("the logged entry is not of this signature: %s", body)
	}
}

// TestKeylessFailures: Fulcio or Rekor failing, or answering with what
// the trust roots given do not verify, is an error that names it, and
// nothing is written beside the index.
func TestKeylessFailures(t *testing.T) {
	other, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for _, c := range []struct {
		name  string
		setup func(f *keylessFixture)
		want  string
	}{
		{"fulcio down", func(f *keylessFixture) { f.ss.Fail(true, false) }, "Fulcio at " + "%F: 500 Internal Server Error: {\"code\": 13, \"message\": \"fulcio is down (injected)\"}"},
		{"rekor down", func(f *keylessFixture) { f.ss.Fail(false, true) }, "Rekor at %R: 500 Internal Server Error"},
		{"another root", func(f *keylessFixture) { os.WriteFile(f.rootFile, other.RootPEM, 0o600) }, "the certificate: x509: certificate signed by unknown authority"},
		{"another log", func(f *keylessFixture) { os.WriteFile(f.keyPEM, other.RekorKeyPEM, 0o600) }, "not of the log whose key is given"},
		{"another issuer", func(f *keylessFixture) {
			tok, _ := other.Token(map[string]any{"email": "dev@example.com", "email_verified": true})
			f.env[TokenEnv] = tok
		}, "401 Unauthorized: the identity token: the JWT's signature does not verify"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newKeylessFixture(t)
			c.setup(f)
			_, err := f.signer(t).Sign(context.Background(), []Target{f.target})
			want := strings.NewReplacer("%F", f.ss.Fulcio, "%R", f.ss.Rekor).Replace(c.want)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want %q", err, want)
			}
			if _, err := remote.Image(mustRef(t, f.target.Repository+":"+SignatureTag(f.target.Digest))); err == nil {
				t.Error("a signature was written")
			}
		})
	}
}

// TestParseKeyless: the value's options, and what is found before any
// build: no token (exit 1), an expired or malformed one, trust files
// that cannot be read; a malformed value is a bad command line (exit 2).
func TestParseKeyless(t *testing.T) {
	f := newKeylessFixture(t)
	k, err := ParseKeyless("keyless", env(map[string]string{TokenEnv: f.env[TokenEnv]}))
	if err != nil || k.Fulcio != DefaultFulcio || k.Rekor != DefaultRekor || k.Roots != nil || k.RekorKey != nil {
		t.Errorf("defaults: %+v, %v", k, err)
	}
	if !IsKeyless("keyless,rekor=https://r") || IsKeyless("keyless.key") || IsKeyless("./keyless") {
		t.Error("IsKeyless")
	}
	expired, _ := f.ss.Token(map[string]any{"email": "a@b", "email_verified": true, "exp": 1})
	for _, c := range []struct {
		ref  string
		env  map[string]string
		kind errkind.Kind
		want string
	}{
		{"keyless", nil, errkind.Failed, "keyless signing: no OIDC identity token: set $SIGSTORE_ID_TOKEN, or in GitHub Actions give the job permissions id-token: write"},
		{"keyless", map[string]string{TokenEnv: "abc"}, errkind.Failed, "$SIGSTORE_ID_TOKEN: not a JWT"},
		{"keyless", map[string]string{TokenEnv: expired}, errkind.Failed, "$SIGSTORE_ID_TOKEN: the token expired at 1970-01-01T00:00:01Z"},
		{"keyless", map[string]string{TokenEnv: f.env[TokenEnv], RootFileEnv: "/nonexistent/root.pem"}, errkind.Failed, "$SIGSTORE_ROOT_FILE: "},
		{"keyless", map[string]string{TokenEnv: f.env[TokenEnv], RekorKeyEnv: f.rootFile}, errkind.Failed, "$SIGSTORE_REKOR_PUBLIC_KEY: "},
		{"keyless,fulcio=", nil, errkind.Usage, `--sign: fulcio="": want an http(s) URL`},
		{"keyless,rekor=ftp://x", nil, errkind.Usage, `want an http(s) URL`},
		{"keyless,key=x", nil, errkind.Usage, `keyless takes fulcio=URL and rekor=URL, not "key=x"`},
		{"keyless,rekor=https://a,rekor=https://b", nil, errkind.Usage, "rekor given twice"},
	} {
		_, err := ParseKeyless(c.ref, env(c.env))
		if err == nil || errkind.Of(err) != c.kind || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: got %v (kind %d), want %q (kind %d)", c.ref, c.env, err, errkind.Of(err), c.want, c.kind)
		}
	}
	var ke *KeylessError
	if _, err := ParseKeyless("keyless", env(nil)); !errors.As(err, &ke) {
		t.Errorf("no token: %T", err)
	}
}
