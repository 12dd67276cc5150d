package builders

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/platform"
)

// TestEmulation runs against a fake binfmt_misc directory: what is
// native, what is registered, and the register line written.
func TestEmulation(t *testing.T) {
	root, defs := t.TempDir(), t.TempDir()
	interp := filepath.Join(t.TempDir(), "aarch64-binfmt-P")
	if err := os.WriteFile(interp, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(dir, name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(root, "register", "")
	write(root, "qemu-arm", "enabled\ninterpreter /x\nflags: F\n")
	write(root, "qemu-riscv64", "disabled\ninterpreter /x\nflags: PF\n")
	write(defs, "qemu-aarch64", "package qemu-user-static\ninterpreter "+interp+"\nmagic \\x7f\\x45\\x4c\\x46\\x02\noffset 0\nmask \\xff\\xff\\xff\\xff\\xff\ncredentials no\nfix_binary yes\npreserve yes\n")
	e := Emulation{Root: root, Defs: defs, Arch: "amd64"}
	amd64, arm64, armv7, riscv, s390x := p("linux/amd64"), p("linux/arm64"), p("linux/arm/v7"), p("linux/riscv64"), p("linux/s390x")

	if got := platform.Join(e.Missing([]platform.Platform{amd64, p("linux/386"), arm64, armv7, riscv})); got != "linux/arm64, linux/riscv64" {
		t.Errorf("Missing = %s", got)
	}
	done, err := e.Ensure([]platform.Platform{amd64, arm64, armv7, riscv})
	if err != nil {
		t.Fatal(err)
	}
	var handlers []string
	for _, p := range done {
		handlers = append(handlers, Handler(p))
	}
	if strings.Join(handlers, " ") != "qemu-aarch64 qemu-riscv64" {
		t.Errorf("Ensure registered %v", done)
	}
	reg, _ := os.ReadFile(filepath.Join(root, "register"))
	if want := `:qemu-aarch64:M:0:\x7f\x45\x4c\x46\x02:\xff\xff\xff\xff\xff:` + interp + `:FP`; string(reg) != want {
		t.Errorf("register line %q, want %q", reg, want)
	}
	if dt, _ := os.ReadFile(filepath.Join(root, "qemu-riscv64")); string(dt) != "1" {
		t.Errorf("a disabled handler was not enabled: %q", dt)
	}
	if _, err := e.Ensure([]platform.Platform{s390x}); err == nil || !strings.Contains(err.Error(), "apt-get install qemu-user-static binfmt-support") {
		t.Errorf("no description: %v", err)
	}
	if got := (Emulation{Root: root, Arch: "arm64"}).Missing([]platform.Platform{arm64, armv7}); len(got) != 0 {
		t.Errorf("an arm64 host runs arm natively: %v", got)
	}
}

// binfmtFixture is a binfmt_misc directory holding the entries of
// testdata/binfmt_misc, as the kernel shows them: qemu-arm as Debian's
// qemu-user-static registers it (flags PF), qemu-aarch64 as an older one
// did (flags OC, no F), qemu-s390x off and without flags.
func binfmtFixture(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, name := range []string{"qemu-aarch64", "qemu-arm", "qemu-s390x"} {
		dt, err := os.ReadFile(filepath.Join("testdata", "binfmt_misc", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), dt, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "register"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestParseHandler(t *testing.T) {
	for name, want := range map[string]handlerState{
		"qemu-arm":     {registered: true, enabled: true, fixBinary: true},
		"qemu-aarch64": {registered: true, enabled: true},
		"qemu-s390x":   {registered: true},
	} {
		dt, err := os.ReadFile(filepath.Join("testdata", "binfmt_misc", name))
		if err != nil {
			t.Fatal(err)
		}
		if got := parseHandler(dt); got != want {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
}

// TestEmulationFixBinary: a handler registered without the F flag is of
// no use to containers (the kernel looks its emulator up in the
// container's filesystem), so it counts as missing and is registered
// anew, with the flag, from its description.
func TestEmulationFixBinary(t *testing.T) {
	root, defs := binfmtFixture(t), t.TempDir()
	arm64, armv7, s390x := p("linux/arm64"), p("linux/arm/v7"), p("linux/s390x")
	e := Emulation{Root: root, Defs: defs, Arch: "amd64"}

	if got := platform.Join(e.Missing([]platform.Platform{arm64, armv7, s390x})); got != "linux/arm64, linux/s390x" {
		t.Errorf("Missing = %s, want linux/arm64, linux/s390x", got)
	}
	if got := platform.Join(e.lacksFixBinary([]platform.Platform{arm64, armv7, s390x})); got != "linux/arm64, linux/s390x" {
		t.Errorf("lacksFixBinary = %s", got)
	}

	// No description of qemu-aarch64: the entry is left as it was.
	if _, err := e.Ensure([]platform.Platform{arm64}); err == nil || !strings.Contains(err.Error(), "no description of qemu-aarch64") {
		t.Errorf("no description: %v", err)
	}
	fixture, _ := os.ReadFile(filepath.Join("testdata", "binfmt_misc", "qemu-aarch64"))
	if dt, _ := os.ReadFile(filepath.Join(root, "qemu-aarch64")); string(dt) != string(fixture) {
		t.Errorf("the entry changed without a description to register: %q", dt)
	}

	interp := filepath.Join(t.TempDir(), "aarch64-binfmt-P")
	if err := os.WriteFile(interp, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	def := "package qemu-user-static\ninterpreter " + interp + "\nmagic \\x7f\\x45\\x4c\\x46\\x02\noffset 0\nmask \\xff\\xff\\xff\\xff\\xff\ncredentials yes\nfix_binary yes\npreserve yes\n"
	if err := os.WriteFile(filepath.Join(defs, "qemu-aarch64"), []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	var notes bytes.Buffer
	got := Emulate{Host: e}.register([]platform.Platform{arm64, armv7}, nil, nil, "", &notes)
	if platform.Join(got) != "linux/arm64" {
		t.Errorf("registered %s, want linux/arm64", platform.Join(got))
	}
	// The fake's files keep what was written last: "-1" removes the old
	// entry, and the register line carries F.
	if dt, _ := os.ReadFile(filepath.Join(root, "qemu-aarch64")); string(dt) != "-1" {
		t.Errorf("the entry without F was not removed first: %q", dt)
	}
	reg, _ := os.ReadFile(filepath.Join(root, "register"))
	if want := `:qemu-aarch64:M:0:\x7f\x45\x4c\x46\x02:\xff\xff\xff\xff\xff:` + interp + `:FPC`; string(reg) != want {
		t.Errorf("register line %q, want %q", reg, want)
	}
	if want := "bricklayer: registered QEMU handler qemu-aarch64 with binfmt_misc anew, with the F flag: it was registered without, and containers could not run its binaries\n"; notes.String() != want {
		t.Errorf("notes %q, want %q", notes.String(), want)
	}
}
