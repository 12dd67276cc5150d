package cli

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rogpeppe/go-internal/testscript"
)

// faultproxy VAR [failput=N] [drop=N] [slow=MS] [count=FILE] [puts=FILE] starts, for
// the rest of the script, a reverse proxy to $REGISTRY on a free port and
// sets VAR to its host:port. It counts the manifest PUTs by tag (the tag
// moves; pushes by digest pass untouched): every PUT of the Nth tag seen
// (the client retries) fails with a 500 (failput) or has its connection
// dropped unanswered (drop); every PUT waits MS milliseconds first (slow);
// FILE holds the count of PUTs so far. puts=FILE appends "PUT PATH" to
// FILE for every manifest PUT, by tag or by digest (an index pushed).
func faultProxy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: faultproxy VAR [failput=N] [drop=N] [slow=MS] [count=FILE] [puts=FILE]")
	}
	var failPut, drop, slow int
	var countFile, putsFile string
	for _, a := range args[1:] {
		k, v, _ := strings.Cut(a, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "failput":
			failPut = n
		case "drop":
			drop = n
		case "slow":
			slow = n
		case "count":
			countFile = ts.MkAbs(v)
		case "puts":
			putsFile = ts.MkAbs(v)
		default:
			ts.Fatalf("faultproxy: unknown option %q", a)
		}
	}
	target, err := url.Parse("http://" + ts.Getenv("REGISTRY"))
	ts.Check(err)
	rp := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	count := 0
	var seen []string // the tags PUT, in order
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ref, isManifest := strings.Cut(r.URL.Path, "/manifests/")
		if r.Method == http.MethodPut && isManifest && putsFile != "" {
			mu.Lock()
			f, err := os.OpenFile(putsFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			if err == nil {
				fmt.Fprintf(f, "PUT %s\n", r.URL.Path)
				f.Close()
			}
			mu.Unlock()
		}
		if r.Method == http.MethodPut && isManifest && !strings.HasPrefix(ref, "sha256:") {
			mu.Lock()
			count++
			if !slices.Contains(seen, r.URL.Path) {
				seen = append(seen, r.URL.Path)
			}
			n := slices.Index(seen, r.URL.Path) + 1
			if countFile != "" {
				os.WriteFile(countFile, []byte(strconv.Itoa(count)), 0o644)
			}
			mu.Unlock()
			time.Sleep(time.Duration(slow) * time.Millisecond)
			if n == failPut {
				http.Error(w, `{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}`, http.StatusInternalServerError)
				return
			}
			if n == drop {
				if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
					conn.Close()
				}
				return
			}
		}
		rp.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	ts.Defer(func() { srv.Close() })
	ts.Setenv(args[0], ln.Addr().String())
}

// waitcount FILE N waits (up to a minute) until FILE holds a number of at
// least N.
func waitCount(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitcount FILE N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		dt, _ := os.ReadFile(ts.MkAbs(args[0]))
		if n, err := strconv.Atoi(strings.TrimSpace(string(dt))); err == nil && n >= want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("waitcount: %s did not reach %d", args[0], want)
}

// tagstate REPO prints "TAG DIGEST" for every tag of REPO (plain HTTP),
// sorted: what a roll-back must leave as it found it.
func tagState(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tagstate REPO")
	}
	repo, err := name.NewRepository(args[0], name.Insecure)
	ts.Check(err)
	tags, err := remote.List(repo)
	ts.Check(err)
	slices.Sort(tags)
	for _, t := range tags {
		d, err := remote.Head(repo.Tag(t))
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "%s %s\n", t, d.Digest)
	}
}

// envfile VAR FILE sets VAR to the content of FILE, trimmed (testscript
// has no command substitution).
func envFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: envfile VAR FILE")
	}
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile(args[1])))
}

// binfmtoff HANDLER removes a QEMU handler from binfmt_misc for the rest
// of the script and registers it again (as binfmt-support does) at the
// end, so the machine is left as it was.
func binfmtOff(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: binfmtoff HANDLER")
	}
	h := filepath.Join("/proc/sys/fs/binfmt_misc", args[0])
	if _, err := os.Stat(h); err != nil {
		ts.Fatalf("binfmtoff: %s is not registered: %v", args[0], err)
	}
	ts.Check(os.WriteFile(h, []byte("-1"), 0))
	ts.Defer(func() {
		if _, err := os.Stat(h); err == nil {
			return // the script registered it again
		}
		if out, err := exec.Command("update-binfmts", "--enable", args[0]).CombinedOutput(); err != nil {
			ts.Logf("restoring %s: %v: %s", args[0], err, out)
		}
	})
}
