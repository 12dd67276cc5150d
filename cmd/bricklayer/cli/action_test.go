package cli

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The GitHub Action and the Azure template install bricklayer with
// ci/install.sh, then run bricklayer ci.
const (
	actionScript   = "../../../ci/install.sh"
	azureTemplate  = "../../../ci/azure/bricklayer.yml"
	templateIndent = "      "
)

// TestActionTemplate checks that the Azure template carries
// ci/install.sh inline, as it is (a template cannot reach other files
// of its repository). BRICKLAYER_UPDATE_GOLDEN=1 rewrites the template's
// copy.
func TestActionTemplate(t *testing.T) {
	script, err := os.ReadFile(actionScript)
	if err != nil {
		t.Fatal(err)
	}
	// Azure replaces $(NAME) in an inline script with the variable NAME
	// (and leaves it be when there is none): no command substitution of
	// one word, which a pipeline variable of that name would replace.
	if m := regexp.MustCompile(`\$\([A-Za-z_][A-Za-z0-9_.]*\)`).FindAll(script, -1); m != nil {
		t.Errorf("%s: %q would be taken for Azure variables; add an argument or use backquotes", actionScript, m)
	}
	if strings.Contains(string(script), "${{") {
		t.Errorf("%s: ${{ would be taken for a template expression", actionScript)
	}
	tmpl, err := os.ReadFile(azureTemplate)
	if err != nil {
		t.Fatal(err)
	}
	head, inline, tail, err := splitTemplate(string(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	if inline == string(script) {
		return
	}
	if os.Getenv("BRICKLAYER_UPDATE_GOLDEN") == "" {
		t.Fatalf("%s does not carry %s as it is (BRICKLAYER_UPDATE_GOLDEN=1 rewrites it)", azureTemplate, actionScript)
	}
	var b strings.Builder
	b.WriteString(head)
	for _, l := range strings.SplitAfter(string(script), "\n") {
		if strings.TrimSpace(l) != "" {
			b.WriteString(templateIndent)
		}
		b.WriteString(l)
	}
	b.WriteString(tail)
	if err := os.WriteFile(azureTemplate, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// splitTemplate cuts the template around the block of its "- bash: |"
// step and returns the block dedented.
func splitTemplate(tmpl string) (head, inline, tail string, err error) {
	const marker = "  - bash: |\n"
	i := strings.Index(tmpl, marker)
	if i < 0 {
		return "", "", "", fmt.Errorf("%s: no %q", azureTemplate, strings.TrimSpace(marker))
	}
	head, rest := tmpl[:i+len(marker)], tmpl[i+len(marker):]
	var b strings.Builder
	for rest != "" {
		l, r, _ := strings.Cut(rest, "\n")
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, templateIndent) {
			break
		}
		b.WriteString(strings.TrimPrefix(l, templateIndent) + "\n")
		rest = r
	}
	return head, b.String(), rest, nil
}

// TestAction runs testdata/action/*.txtar: the steps of action.yml and of
// the Azure template (action github|azure) end-to-end against the real
// daemon and registry, in a fake GitHub Actions environment ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY, ... under $WORK), with
// a bricklayer built by go build ($BLBIN) or a release made by
// hack/release.sh; and workflows that use the action, run by act
// (actrun). Like TestE2E it skips outside CI without the services
// and fails in CI.
func TestAction(t *testing.T) {
	host, registry := os.Getenv("BUILDKIT_HOST"), os.Getenv("BRICKLAYER_REGISTRY")
	_, craneErr := exec.LookPath("crane")
	_, jqErr := exec.LookPath("jq")
	_, actErr := exec.LookPath("act")
	_, nodeErr := exec.LookPath("node")
	if host == "" || registry == "" || craneErr != nil || jqErr != nil || actErr != nil || nodeErr != nil {
		msg := "the action's tests need BUILDKIT_HOST, BRICKLAYER_REGISTRY, and crane, jq, act and node on PATH (hack/test.sh sets them up)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := filepath.Join(t.TempDir(), "bricklayer")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/bricklayer-build/bricklayer/cmd/bricklayer").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	goenv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	gocache, gomodcache, _ := strings.Cut(strings.TrimSpace(string(goenv)), "\n")
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "../../../testdata/action",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits": exits, "envsubst": envsubst, "ghoutput": ghOutput, "releaseserver": releaseServer,
			"htpasswd": htpasswd, "freeport": freePort, "waitfor": waitFor, "action": runAction,
			"ghacache": ghaCache, "actrun": actRun,
		},
		Condition: func(cond string) (bool, error) { return e2eCondition(cond, registry) },
		Setup: func(env *testscript.Env) error {
			env.Setenv("DOCKER_HOST", os.Getenv("DOCKER_HOST"))
			stopDaemonsAtEnd(env)
			env.Setenv("BUILDKIT_HOST", host)
			env.Setenv("REGISTRY", registry)
			env.Setenv("BASE", registry+"/bricklayer-test/busybox:latest")
			script := strings.ToLower(strings.TrimPrefix(filepath.Base(env.WorkDir), "script-"))
			env.Setenv("RUN", runID+"-"+script)
			env.Setenv("REPO", repo)
			env.Setenv("BLBIN", bin)
			env.Setenv("GOARCH", runtime.GOARCH)
			env.Setenv("GOCACHE", gocache)
			env.Setenv("GOMODCACHE", strings.TrimSpace(gomodcache))
			env.Setenv("GOFLAGS", "-mod=readonly")
			// What a GitHub runner gives a step.
			gh := filepath.Join(env.WorkDir, "github")
			if err := os.MkdirAll(filepath.Join(gh, "temp"), 0o755); err != nil {
				return err
			}
			for k, f := range map[string]string{"GITHUB_OUTPUT": "output", "GITHUB_STEP_SUMMARY": "summary.md", "GITHUB_ENV": "env", "GITHUB_PATH": "path"} {
				p := filepath.Join(gh, f)
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					return err
				}
				env.Setenv(k, p)
			}
			env.Setenv("GITHUB_ACTIONS", "true")
			env.Setenv("RUNNER_TEMP", filepath.Join(gh, "temp"))
			env.Setenv("RUNNER_TOOL_CACHE", filepath.Join(gh, "toolcache"))
			return nil
		},
	})
}

// ghoutput FILE NAME prints the value of output NAME from a
// $GITHUB_OUTPUT file, NAME=VALUE or NAME<<DELIMITER lines, as the runner
// reads it; it fails when NAME is not there, or is there twice.
func ghOutput(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: ghoutput FILE NAME")
	}
	values := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(ts.ReadFile(args[0])))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if name, delim, ok := strings.Cut(l, "<<"); ok && !strings.Contains(name, "=") {
			var v []string
			for {
				if !sc.Scan() {
					ts.Fatalf("output %s: no closing %s", name, delim)
				}
				if sc.Text() == delim {
					break
				}
				v = append(v, sc.Text())
			}
			values[name] = append(values[name], strings.Join(v, "\n"))
			continue
		}
		name, v, ok := strings.Cut(l, "=")
		if !ok {
			ts.Fatalf("not an output line: %q", l)
		}
		values[name] = append(values[name], v)
	}
	v := values[args[1]]
	if neg {
		if len(v) > 0 {
			ts.Fatalf("output %s is set", args[1])
		}
		return
	}
	if len(v) != 1 {
		ts.Fatalf("output %s is set %d times", args[1], len(v))
	}
	fmt.Fprintln(ts.Stdout(), v[0])
}

// ghacache FILE stands for GitHub's cache service: it writes each
// request, "METHOD PATH AUTHORIZATION", a line to FILE and answers 503,
// which BuildKit does not retry. It sets GHACACHE to its address
// (127.0.0.1:PORT, which the test daemon reaches) for the rest of the
// script.
func ghaCache(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ghacache FILE")
	}
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	var mu sync.Mutex
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fmt.Fprintf(f, "%s %s %s\n", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "no cache here", http.StatusServiceUnavailable)
	})}
	go srv.Serve(l)
	ts.Defer(func() {
		srv.Close()
		f.Close()
	})
	ts.Setenv("GHACACHE", l.Addr().String())
}

// releaseserver DIR VERSION serves DIR over HTTP the way GitHub serves a
// repository's releases: DIR/download/V/FILE at /download/V/FILE, and
// /latest redirecting to /tag/VERSION. It sets BRICKLAYER_RELEASES to its
// address for the rest of the script.
func releaseServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: releaseserver DIR VERSION")
	}
	mux := http.NewServeMux()
	mux.Handle("/download/", http.FileServer(http.Dir(ts.MkAbs(args[0]))))
	mux.HandleFunc("/latest", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/tag/"+args[1], http.StatusFound)
	})
	mux.HandleFunc("/tag/", func(w http.ResponseWriter, r *http.Request) {})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	ts.Defer(func() { srv.Close() })
	ts.Setenv("BRICKLAYER_RELEASES", "http://"+l.Addr().String())
}
