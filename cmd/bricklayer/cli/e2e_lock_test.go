package cli

import (
	"os"
	"path/filepath"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// lock NAME holds, for the rest of the script, a lock that scripts which
// touch the same machine-wide state take too (a binfmt_misc handler that
// one turns off and another's daemon detects): scripts run side by side,
// and those two must not overlap. It waits for the lock, not for time.
func lockCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: lock NAME")
	}
	dir := filepath.Join(os.TempDir(), "bricklayer-e2e-locks")
	ts.Check(os.MkdirAll(dir, 0o755))
	f, err := os.OpenFile(filepath.Join(dir, args[0]), os.O_CREATE|os.O_RDWR, 0o644)
	ts.Check(err)
	// flock conflicts between two open files of one process too, so the
	// scripts of one test binary exclude each other.
	ts.Check(syscall.Flock(int(f.Fd()), syscall.LOCK_EX))
	ts.Defer(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
