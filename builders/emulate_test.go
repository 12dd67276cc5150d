package builders

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/platform"
)

// fakeBinfmt is a binfmt_misc directory with qemu-arm registered and a
// description of qemu-aarch64 to register; s390x has none.
func fakeBinfmt(t *testing.T) Emulation {
	t.Helper()
	root, defs := t.TempDir(), t.TempDir()
	interp := filepath.Join(t.TempDir(), "aarch64-binfmt-P")
	for _, f := range []struct{ path, data string }{
		{interp, ""},
		{filepath.Join(root, "register"), ""},
		{filepath.Join(root, "qemu-arm"), "enabled\ninterpreter /x\nflags: F\n"},
		{filepath.Join(defs, "qemu-aarch64"), "interpreter " + interp + "\nmagic \\x7f\\x45\nmask \\xff\\xff\n"},
	} {
		if err := os.WriteFile(f.path, []byte(f.data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return Emulation{Root: root, Defs: defs, Arch: "amd64"}
}

func TestEmulateRegister(t *testing.T) {
	amd64, arm64, armv7, s390x, riscv := p("linux/amd64"), p("linux/arm64"), p("linux/arm/v7"), p("linux/s390x"), p("linux/riscv64")
	want := []platform.Platform{amd64, arm64, armv7, s390x, riscv}

	// On this host: what the image's emulators cover needs nothing here,
	// arm64 is registered, s390x cannot be (a warning, not an error).
	o := Emulate{Host: fakeBinfmt(t)}
	var notes bytes.Buffer
	got := o.register(want, []platform.Platform{riscv}, nil, "", &notes)
	if platform.Join(got) != "linux/arm64" {
		t.Errorf("registered %s, want linux/arm64", platform.Join(got))
	}
	for _, line := range []string{
		"bricklayer: linux/riscv64: emulated by BuildKit's own QEMU in the builder's image (no binfmt_misc needed)\n",
		"bricklayer: registered QEMU handler qemu-aarch64 with binfmt_misc\n",
		"bricklayer: warning: the daemon will not build some platforms: linux/s390x: no description of qemu-s390x",
	} {
		if !strings.Contains(notes.String(), line) {
			t.Errorf("notes lack %q:\n%s", line, notes.String())
		}
	}
	if reg, _ := os.ReadFile(filepath.Join(o.Host.Root, "register")); !bytes.HasPrefix(reg, []byte(":qemu-aarch64:M:0:")) {
		t.Errorf("register line %q", reg)
	}

	// Docker on another machine: nothing registered here; the platforms
	// neither its image nor its daemon runs are named.
	o = Emulate{Host: fakeBinfmt(t)}
	notes.Reset()
	if got := o.register(want, []platform.Platform{riscv}, []platform.Platform{amd64, arm64}, "tcp://10.0.0.2:2375", &notes); got != nil {
		t.Errorf("registered %v for a remote Docker", got)
	}
	if reg, _ := os.ReadFile(filepath.Join(o.Host.Root, "register")); len(reg) != 0 {
		t.Errorf("wrote %q to the local binfmt_misc for a remote Docker", reg)
	}
	if w := "bricklayer: warning: the daemon will not build linux/arm/v7, linux/s390x: Docker at tcp://10.0.0.2:2375 is another machine"; !strings.HasPrefix(notes.String(), w) {
		t.Errorf("notes %q, want %q...", notes.String(), w)
	}
}

// Off, or nothing wanted, reads no spec and registers nothing.
func TestEmulateWant(t *testing.T) {
	called := false
	o := Emulate{Off: true, Want: func(context.Context) ([]platform.Platform, error) { called = true; return nil, nil }}
	if got, err := o.want(context.Background()); got != nil || err != nil || called {
		t.Errorf("off: %v, %v (Want called: %v)", got, err, called)
	}
	if got, err := (Emulate{}).want(context.Background()); got != nil || err != nil {
		t.Errorf("no Want: %v, %v", got, err)
	}
}

// Bootstrap's failures: the spec's error as it is, before anything
// starts; a daemon that cannot be started is a daemon that did not
// answer.
func TestDaemonBootstrapErrors(t *testing.T) {
	state := t.TempDir()
	sock := "unix://" + filepath.Join(t.TempDir(), "bk.sock")
	specErr := errors.New("bricklayer.cue:3:4: images.a.platforms: bad")
	d := Daemon{Addr: sock, State: state, Emulation: Emulate{Want: func(context.Context) ([]platform.Platform, error) { return nil, specErr }}}
	if _, err := d.Bootstrap(context.Background()); err != specErr {
		t.Errorf("Bootstrap = %v, want the spec's error as it is", err)
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("a failed spec left %d files in the state directory", len(entries))
	}

	d = Daemon{Addr: "tcp://127.0.0.1:1", State: state}
	_, err := d.Bootstrap(context.Background())
	if err == nil || !strings.Contains(err.Error(), "bootstrap starts only local ones (unix://)") || errkind.Of(err) != errkind.NoDaemon {
		t.Errorf("Bootstrap at tcp:// = %v (kind %v), want a daemon that did not answer", err, errkind.Of(err))
	}

	d = Daemon{Addr: sock, State: state, Binary: filepath.Join(t.TempDir(), "no-buildkitd")}
	_, err = d.Bootstrap(context.Background())
	if err == nil || errkind.Of(err) != errkind.NoDaemon {
		t.Errorf("Bootstrap without buildkitd = %v (kind %v), want a daemon that did not answer", err, errkind.Of(err))
	}
}

func TestDaemonStopNothing(t *testing.T) {
	_, err := Daemon{State: t.TempDir()}.Stop(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no daemon started by bricklayer in ") {
		t.Errorf("Stop = %v", err)
	}
}
