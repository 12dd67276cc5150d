package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"github.com/bricklayer-build/bricklayer/publish"
)

// TestWithSignals sends this process real signals: the first ends the
// run's context and is remembered; the next is absorbed, not fatal.
func TestWithSignals(t *testing.T) {
	ctx, stop := withSignals(context.Background())
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	if got := signalOf(ctx); got != syscall.SIGHUP {
		t.Fatalf("signalOf = %v, want SIGHUP", got)
	}
	// A second signal does not replace the first. The test's own channel
	// says when it was delivered (to every channel that asked for it), so
	// the check does not race the delivery.
	seen := make(chan os.Signal, 1)
	signal.Notify(seen, syscall.SIGTERM)
	defer signal.Stop(seen)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-seen
	if got := signalOf(ctx); got != syscall.SIGHUP {
		t.Errorf("signalOf after SIGTERM = %v, want SIGHUP still", got)
	}
	if !strings.Contains(context.Cause(ctx).Error(), "hangup signal received") {
		t.Errorf("cause %v", context.Cause(ctx))
	}
	if got := signalOf(context.Background()); got != nil {
		t.Errorf("signalOf a live context = %v", got)
	}
}

// TestExitCodes: each way a run ends has its code, and the message says
// which signal stopped it and what became of the tags.
func TestExitCodes(t *testing.T) {
	restored := &publish.TagMoveError{Tag: "r:t1", Err: errors.New("terminated signal received"), Total: 2, Restored: []string{"r:t0"}}
	left := &publish.TagMoveError{Tag: "r:t1", Err: errors.New("refused"), Total: 2, Unrestored: []publish.TagLeft{{Ref: "r:t0", Was: "sha256:old", Err: "refused"}}}
	race := &publish.TagRaceError{Total: 2, Elsewhere: []publish.TagAt{{Ref: "r:t1", Digest: "sha256:other"}}}
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{&interrupted{err: context.Canceled}, 130, "bricklayer: interrupted; no tag was moved"},
		{&interrupted{err: context.Canceled, sig: syscall.SIGINT}, 130, "bricklayer: interrupted; no tag was moved"},
		{&interrupted{err: context.Canceled, sig: syscall.SIGTERM}, 143, "bricklayer: terminated (SIGTERM); no tag was moved"},
		{&interrupted{err: context.Canceled, sig: syscall.SIGHUP}, 129, "bricklayer: hung up (SIGHUP); no tag was moved"},
		{&interrupted{err: restored, sig: syscall.SIGTERM}, 143, "bricklayer: terminated (SIGTERM) while moving tags: moving r:t1: terminated signal received; every tag points where it pointed before; put back: r:t0"},
		{&interrupted{err: race, sig: syscall.SIGTERM}, 143, "bricklayer: terminated (SIGTERM); read back after moving, 1 of 2 tags point elsewhere"},
		{&buildFailed{err: restored}, 3, "every tag points where it pointed before"},
		{&buildFailed{err: race}, 3, "r:t1 at sha256:other"},
		// Tags left moved: 5, signal or not.
		{&buildFailed{err: left}, 5, "1 of 2 tags NOT PUT BACK"},
		{&tagsLeft{err: &interrupted{err: left, sig: syscall.SIGTERM}, hint: "run it again"}, 5, "terminated (SIGTERM) while moving tags: moving r:t1: refused; 1 of 2 tags NOT PUT BACK, so they may still point at the new index: r:t0; run it again"},
		{&writeFailed{err: errors.New("writing metadata: disk full")}, 1, "bricklayer: writing metadata: disk full"},
	} {
		var stderr strings.Builder
		c := &CLI{stdout: io.Discard, stderr: &stderr}
		if got := c.exitCode(tc.err); got != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.err, got, tc.code)
		}
		if !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("printed %q, want %q in it", stderr.String(), tc.msg)
		}
	}
	for sig, want := range map[syscall.Signal]int{syscall.SIGINT: ExitInterrupted, syscall.SIGTERM: ExitTerminated, syscall.SIGHUP: ExitHangup} {
		if got := signalExit(sig); got != want {
			t.Errorf("signalExit(%v) = %d, want %d", sig, got, want)
		}
	}
	if got := fmt.Sprint(classify(&writeFailed{err: io.ErrShortWrite})); got != io.ErrShortWrite.Error() {
		t.Errorf("classify wrapped a write failure: %q", got)
	}
}

// TestWithSignalsKeepsIgnored runs itself again under nohup, which
// starts it with SIGHUP ignored: it must stay so. (Ignoring it here would
// change this test process for the tests after it.)
func TestWithSignalsKeepsIgnored(t *testing.T) {
	if os.Getenv("BRICKLAYER_TEST_NOHUP") == "1" {
		keepsIgnored(t)
		return
	}
	nohup, err := exec.LookPath("nohup")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nohup, os.Args[0], "-test.run=^TestWithSignalsKeepsIgnored$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "BRICKLAYER_TEST_NOHUP=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("under nohup: %v\n%s", err, out)
	}
}

// keepsIgnored is the test under nohup. An ignored signal is discarded
// when it is sent, so the SIGTERM after it is the first the run sees.
func keepsIgnored(t *testing.T) {
	if !signal.Ignored(syscall.SIGHUP) {
		t.Fatal("SIGHUP is not ignored: not under nohup")
	}
	ctx, stop := withSignals(context.Background())
	defer stop()
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM} {
		if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
	}
	<-ctx.Done()
	if got := signalOf(ctx); got != syscall.SIGTERM {
		t.Errorf("signalOf = %v, want SIGTERM (SIGHUP was to stay ignored)", got)
	}
	if !signal.Ignored(syscall.SIGHUP) {
		t.Error("SIGHUP is no longer ignored")
	}
}
