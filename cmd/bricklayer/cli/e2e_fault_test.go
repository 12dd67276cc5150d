package cli

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
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

// faultproxy VAR [failput=N] [drop=N] [slow=MS] [count=FILE] [puts=FILE]
// [hold=N held=FILE] [race=N raceto=DIGEST] [die=N] starts, for the rest
// of the script, a reverse proxy to $REGISTRY on a free port and sets VAR
// to its host:port. It counts the manifest PUTs by tag (the tag moves;
// pushes by digest pass untouched): every PUT of the Nth tag seen (the
// client retries) fails with a 500 (failput) or has its connection
// dropped unanswered (drop); every PUT waits MS milliseconds first (slow);
// FILE holds the count of PUTs so far. puts=FILE appends "PUT PATH" to
// FILE for every manifest PUT, by tag or by digest (an index pushed).
// hold holds the first PUT of the Nth tag, unanswered and not passed on,
// until the client gives up on it, and writes held=FILE when the hold
// begins: a script waits for that, then stops the client mid-move. race
// passes the Nth tag's first PUT on, then, before its answer goes back,
// points that tag at DIGEST itself: another release moving the tag at the
// same time. die passes N tags on, then dies at the next tag's PUT as a
// killed registry does: every connection after is refused.
func faultProxy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: faultproxy VAR [failput=N] [drop=N] [slow=MS] [count=FILE] [puts=FILE] [hold=N held=FILE] [race=N raceto=DIGEST] [die=N]")
	}
	var failPut, drop, slow, hold, race, die int
	var countFile, putsFile, heldFile, raceTo string
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
		case "hold":
			hold = n
		case "held":
			heldFile = ts.MkAbs(v)
		case "race":
			race = n
		case "raceto":
			raceTo = v
		case "die":
			die = n
		default:
			ts.Fatalf("faultproxy: unknown option %q", a)
		}
	}
	if (hold > 0) != (heldFile != "") || (race > 0) != (raceTo != "") {
		ts.Fatalf("faultproxy: hold goes with held, race with raceto")
	}
	registry := ts.Getenv("REGISTRY")
	target, err := url.Parse("http://" + registry)
	ts.Check(err)
	rp := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	count := 0
	var seen []string        // the tags PUT, in order
	firsts := map[int]bool{} // the tags whose first PUT was seen
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		repo, ref, isManifest := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/manifests/")
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
			first := !firsts[n]
			firsts[n] = true
			if countFile != "" {
				os.WriteFile(countFile, []byte(strconv.Itoa(count)), 0o644)
			}
			mu.Unlock()
			time.Sleep(time.Duration(slow) * time.Millisecond)
			switch {
			case n == failPut:
				http.Error(w, `{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}`, http.StatusInternalServerError)
				return
			case n == drop:
				if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
					conn.Close()
				}
				return
			case n == hold && first:
				os.WriteFile(heldFile, []byte("1"), 0o644)
				<-r.Context().Done()
				return
			case n == race && first:
				rec := httptest.NewRecorder()
				rp.ServeHTTP(rec, r)
				if err := retag(registry, repo, ref, raceTo); err != nil {
					http.Error(w, "faultproxy: race: "+err.Error(), http.StatusInternalServerError)
					return
				}
				maps.Copy(w.Header(), rec.Header())
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
				return
			case die > 0 && n > die:
				// Unanswered: this connection is cut, and the others
				// with the listener.
				if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
					conn.Close()
				}
				srv.Close()
				return
			}
		}
		rp.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	go srv.Serve(ln)
	ts.Defer(func() { srv.Close() })
	ts.Setenv(args[0], ln.Addr().String())
}

// retag points registry/repo:tag at the manifest d of the same
// repository, directly (plain HTTP).
func retag(registry, repo, tag, d string) error {
	from, err := name.NewDigest(registry+"/"+repo+"@"+d, name.Insecure)
	if err != nil {
		return err
	}
	desc, err := remote.Get(from)
	if err != nil {
		return err
	}
	to, err := name.NewTag(registry+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		return err
	}
	return remote.Tag(to, desc)
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
