package cli

import (
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/bricklayer-build/bricklayer/sign/sigstoretest"
)

// sigstore [fail=fulcio|fail=rekor] starts, for the rest of the script,
// a Sigstore of its own in the test process (sign/sigstoretest: an OIDC
// issuer with GitHub Actions' token endpoint, a Fulcio under a test CA, a
// Rekor with a test key) and sets FULCIO, REKOR and ISSUER to their URLs,
// ID_TOKEN to a token of dev@example.com, GH_TOKEN_URL and
// GH_REQUEST_TOKEN to what GitHub Actions gives a job with id-token:
// write, and SIGSTORE_ROOT_FILE and SIGSTORE_REKOR_PUBLIC_KEY to files of
// its trust roots, which cosign (and bricklayer) then trust. fail has
// Fulcio, or Rekor, answer every request with a 500.
func sigstoreCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: sigstore [fail=fulcio|fail=rekor]")
	}
	ss, err := sigstoretest.New()
	ts.Check(err)
	ts.Defer(ss.Close)
	if len(args) == 1 {
		switch args[0] {
		case "fail=fulcio":
			ss.Fail(true, false)
		case "fail=rekor":
			ss.Fail(false, true)
		default:
			ts.Fatalf("sigstore: unknown option %q", args[0])
		}
	}
	tok, err := ss.Token(map[string]any{"sub": "u-1", "email": "dev@example.com", "email_verified": true})
	ts.Check(err)
	root, key := ts.MkAbs("sigstore-root.pem"), ts.MkAbs("sigstore-rekor.pub")
	ts.Check(os.WriteFile(root, ss.RootPEM, 0o644))
	ts.Check(os.WriteFile(key, ss.RekorKeyPEM, 0o644))
	for k, v := range map[string]string{
		"FULCIO": ss.Fulcio, "REKOR": ss.Rekor, "ISSUER": ss.Issuer, "ID_TOKEN": tok,
		"GH_TOKEN_URL": ss.GitHubURL, "GH_REQUEST_TOKEN": ss.GitHubBearer,
		"SIGSTORE_ROOT_FILE": root, "SIGSTORE_REKOR_PUBLIC_KEY": key,
	} {
		ts.Setenv(k, v)
	}
}
