package builders

import (
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
	write(root, "qemu-riscv64", "disabled\n")
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
