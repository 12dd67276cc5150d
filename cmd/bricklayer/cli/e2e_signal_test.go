package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// testscript's own background commands take only SIGINT and SIGKILL, and
// do not say how a process exited. bgstart, bgsignal and bgexit run a
// command in the background, send it any stop signal, and check the code
// it exited with by itself: how CI cancels a job, and what it then sees.

// bgKey finds a script's background processes among its values.
type bgKey struct{}

// bgProcs are the processes one script started, by name, and the names
// of the variables its environment starts with.
type bgProcs struct {
	vars []string

	mu    sync.Mutex
	procs map[string]*bgProc
}

type bgProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// bgSetup makes a script's table of background processes, and ends any
// still running with the script.
func bgSetup(env *testscript.Env) {
	b := &bgProcs{procs: map[string]*bgProc{}}
	for _, kv := range env.Vars {
		if k, _, ok := strings.Cut(kv, "="); ok {
			b.vars = append(b.vars, k)
		}
	}
	env.Values[bgKey{}] = b
	env.Defer(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.procs {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
}

func bgOf(ts *testscript.TestScript) *bgProcs {
	b, ok := ts.Value(bgKey{}).(*bgProcs)
	if !ok {
		ts.Fatalf("no background table: bgSetup was not called")
	}
	return b
}

// bgstart NAME CMD [ARGS...] starts CMD in the background, in the
// script's directory and environment; its output goes to NAME.stdout and
// NAME.stderr.
func bgStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: bgstart NAME CMD [ARGS...]")
	}
	b := bgOf(ts)
	path := ""
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		if fi, err := os.Stat(filepath.Join(dir, args[1])); err == nil && fi.Mode().IsRegular() {
			path = filepath.Join(dir, args[1])
			break
		}
	}
	if path == "" {
		ts.Fatalf("bgstart: %s is not on the script's PATH", args[1])
	}
	cmd := exec.Command(path, args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range b.vars {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	stdout, err := os.Create(ts.MkAbs(args[0] + ".stdout"))
	ts.Check(err)
	defer stdout.Close()
	stderr, err := os.Create(ts.MkAbs(args[0] + ".stderr"))
	ts.Check(err)
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	ts.Check(cmd.Start())
	p := &bgProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.procs[args[0]]; dup {
		ts.Fatalf("bgstart: %s is already running", args[0])
	}
	b.procs[args[0]] = p
}

func bgFind(ts *testscript.TestScript, name string) *bgProc {
	b := bgOf(ts)
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.procs[name]
	if !ok {
		ts.Fatalf("no background process %s", name)
	}
	return p
}

// bgsignal NAME INT|TERM|HUP sends the process the signal.
func bgSignal(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: bgsignal NAME INT|TERM|HUP")
	}
	sig, ok := map[string]syscall.Signal{"INT": syscall.SIGINT, "TERM": syscall.SIGTERM, "HUP": syscall.SIGHUP}[args[1]]
	if !ok {
		ts.Fatalf("bgsignal: unknown signal %s", args[1])
	}
	ts.Check(bgFind(ts, args[0]).cmd.Process.Signal(sig))
}

// bgexit NAME CODE waits for the process to end and checks that it exited
// with CODE, by itself: one killed by a signal it did not handle fails.
func bgExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: bgexit NAME CODE")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	p := bgFind(ts, args[0])
	<-p.done
	b := bgOf(ts)
	b.mu.Lock()
	delete(b.procs, args[0])
	b.mu.Unlock()
	stderr, _ := os.ReadFile(ts.MkAbs(args[0] + ".stderr"))
	ts.Logf("[%s stderr]\n%s", args[0], stderr)
	st := p.cmd.ProcessState
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		ts.Fatalf("%s was killed by %v: it did not handle it", args[0], ws.Signal())
	}
	if got := st.ExitCode(); got != want {
		ts.Fatalf("%s exited with %d, want %d", args[0], got, want)
	}
}

// waitgrep FILE REGEXP waits (up to two minutes) until FILE, which a
// background process writes, has a line matching REGEXP: a step started,
// say.
func waitGrep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitgrep FILE REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if dt, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && re.Match(dt) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("waitgrep: no line of %s matches %s", args[0], args[1])
}
