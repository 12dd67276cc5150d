package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/bcrypt"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/internal/ociread"
)

// TestE2E runs testdata/e2e/*.txtar against a real BuildKit daemon
// ($BUILDKIT_HOST) and registry ($BRICKLAYER_REGISTRY, plain HTTP), and
// checks what was pushed with crane, an independent client. hack/test.sh
// starts both. Outside CI the test skips without them; in CI (CI set) it
// fails, so a missing daemon can never pass as green.
func TestE2E(t *testing.T) {
	host, registry := os.Getenv("BUILDKIT_HOST"), os.Getenv("BRICKLAYER_REGISTRY")
	_, craneErr := exec.LookPath("crane")
	if host == "" || registry == "" || craneErr != nil {
		msg := "end-to-end tests need BUILDKIT_HOST, BRICKLAYER_REGISTRY and crane on PATH (hack/test.sh sets them up)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "../../../testdata/e2e",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"exits": exits, "envsubst": envsubst, "ociplatforms": ociPlatforms, "htpasswd": htpasswd, "tlscerts": tlsCerts, "freeport": freePort, "waitfor": waitFor, "faultproxy": faultProxy, "waitcount": waitCount, "tagstate": tagState, "envfile": envFile, "binfmtoff": binfmtOff, "lock": lockCmd, "dockerproxy": dockerProxy, "bgstart": bgStart, "bgsignal": bgSignal, "bgexit": bgExit, "waitgrep": waitGrep, "sigstore": sigstoreCmd},
		Condition:           func(cond string) (bool, error) { return e2eCondition(cond, registry) },
		Setup: func(env *testscript.Env) error {
			env.Setenv("BUILDKIT_HOST", host)
			env.Setenv("REGISTRY", registry)
			env.Setenv("BASE", registry+"/bricklayer-test/busybox:latest")
			// A name no earlier run and no other script used, so tags
			// start out absent and scripts running side by side never
			// share a repository.
			script := strings.ToLower(strings.TrimPrefix(filepath.Base(env.WorkDir), "script-"))
			env.Setenv("RUN", runID+"-"+script)
			dockerSetup(env, registry, runID+"-"+script)
			repo, err := filepath.Abs("../../..")
			if err != nil {
				return err
			}
			env.Setenv("REPO", repo)
			stopDaemonsAtEnd(env)
			bgSetup(env)
			return nil
		},
	})
}

// runID tells the repositories of one test run from those of earlier
// runs against the same registry.
var runID = fmt.Sprintf("r%d", time.Now().UnixNano())

// envsubst FILE... replaces $VAR and ${VAR} in the files with the
// script's environment, so specs can name this run's registry.
func envsubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: envsubst FILE...")
	}
	for _, f := range args {
		data := ts.ReadFile(f)
		ts.Check(os.WriteFile(ts.MkAbs(f), []byte(os.Expand(data, ts.Getenv)), 0o644))
	}
}

// ociplatforms DIR prints the platform of every manifest of every image
// index in the OCI layout DIR, read with go-containerregistry (not with
// bricklayer's own reader).
func ociPlatforms(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ociplatforms DIR")
	}
	idxs, err := ociread.Read(ts.MkAbs(args[0]))
	ts.Check(err)
	for _, idx := range idxs {
		fmt.Fprintf(ts.Stdout(), "index %s\n", idx.Desc.Digest)
		for _, m := range idx.Manifests {
			if m.Platform != nil {
				fmt.Fprintf(ts.Stdout(), "%s %s\n", m.Platform, m.Digest)
			}
		}
	}
}

// htpasswd FILE USER PASSWORD writes a registry's bcrypt password file.
func htpasswd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: htpasswd FILE USER PASSWORD")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(args[2]), bcrypt.DefaultCost)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(args[1]+":"+string(hash)+"\n"), 0o600))
}

// stopDaemonsAtEnd ends the daemons a script bootstrapped under $WORK
// with the script, even when it fails half way.
func stopDaemonsAtEnd(env *testscript.Env) {
	env.Defer(func() {
		pids, _ := filepath.Glob(filepath.Join(env.WorkDir, "*", "buildkitd.pid"))
		for _, p := range pids {
			builders.Daemon{State: filepath.Dir(p)}.Stop(context.Background())
		}
	})
}
