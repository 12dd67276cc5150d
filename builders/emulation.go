package builders

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/platform"
)

// Emulation registers QEMU's user-mode emulators with the kernel's
// binfmt_misc for platforms the host cannot run, what `docker run
// --privileged multiarch/qemu-user-static --reset -p yes` does, from the
// host's own qemu-user-static. A daemon sees the handlers registered
// before it starts.
type Emulation struct {
	// Root is binfmt_misc's mount point; default /proc/sys/fs/binfmt_misc.
	Root string
	// Defs holds binfmt-support's descriptions of the handlers (Debian's
	// qemu-user-static installs them); default /usr/share/binfmts.
	Defs string
	// Arch is the host's architecture (GOARCH); default the running one.
	Arch string
}

func (e Emulation) root() string {
	if e.Root != "" {
		return e.Root
	}
	return "/proc/sys/fs/binfmt_misc"
}

func (e Emulation) defs() string {
	if e.Defs != "" {
		return e.Defs
	}
	return "/usr/share/binfmts"
}

func (e Emulation) arch() string {
	if e.Arch != "" {
		return e.Arch
	}
	return runtime.GOARCH
}

// qemuNames are QEMU's names of Go's architectures.
var qemuNames = map[string]string{
	"amd64": "x86_64", "386": "i386", "arm64": "aarch64", "arm": "arm",
	"ppc64le": "ppc64le", "ppc64": "ppc64", "s390x": "s390x", "riscv64": "riscv64",
	"mips64le": "mips64el", "mips64": "mips64", "mipsle": "mipsel", "mips": "mips",
	"loong64": "loongarch64",
}

// Handler is the binfmt_misc handler a platform needs, e.g. qemu-aarch64.
func Handler(p platform.Platform) string { return "qemu-" + qemuNames[p.Architecture] }

// native tells whether the host runs p without emulation.
func (e Emulation) native(p platform.Platform) bool {
	a := e.arch()
	return p.Architecture == a || (a == "amd64" && p.Architecture == "386") || (a == "arm64" && p.Architecture == "arm")
}

// handlerState is what binfmt_misc tells of one handler.
type handlerState struct {
	registered bool
	enabled    bool
	// fixBinary is the F flag: the kernel opened the emulator when the
	// handler was registered. Without it the kernel looks the emulator
	// up at each exec, in the filesystem of the process, so a container
	// (which does not have it) cannot run the platform's binaries.
	fixBinary bool
}

// usable tells whether a container can run the handler's binaries.
func (s handlerState) usable() bool { return s.enabled && s.fixBinary }

// parseHandler reads a binfmt_misc entry: "enabled" or "disabled" on the
// first line, then "interpreter ...", "flags: POCF" and so on.
func parseHandler(dt []byte) handlerState {
	s := handlerState{registered: true}
	first, rest, _ := strings.Cut(string(dt), "\n")
	s.enabled = strings.TrimSpace(first) == "enabled"
	for line := range strings.Lines(rest) {
		if flags, ok := strings.CutPrefix(line, "flags:"); ok {
			s.fixBinary = strings.Contains(flags, "F")
		}
	}
	return s
}

// state reads the handler's entry; an unreadable one is not registered.
func (e Emulation) state(handler string) handlerState {
	dt, err := safefile.Read(filepath.Join(e.root(), handler), 64<<10)
	if err != nil {
		return handlerState{}
	}
	return parseHandler(dt)
}

// Missing lists the platforms of plats the host runs neither natively
// nor through a registered handler that containers can use (enabled,
// with the F flag).
func (e Emulation) Missing(plats []platform.Platform) []platform.Platform {
	var out []platform.Platform
	for _, p := range plats {
		if !e.native(p) && !e.state(Handler(p)).usable() {
			out = append(out, p)
		}
	}
	return out
}

// lacksFixBinary lists the platforms of plats whose handler is registered
// without the F flag (Ensure registers it anew, with the flag).
func (e Emulation) lacksFixBinary(plats []platform.Platform) []platform.Platform {
	var out []platform.Platform
	for _, p := range plats {
		if s := e.state(Handler(p)); !e.native(p) && s.registered && !s.fixBinary {
			out = append(out, p)
		}
	}
	return out
}

// Ensure registers (or enables) the handlers of the platforms Missing
// finds, with the fix-binary flag so that containers use them, and
// returns the platforms it registered them for. An error says what to
// install.
func (e Emulation) Ensure(plats []platform.Platform) ([]platform.Platform, error) {
	missing := e.Missing(plats)
	if len(missing) == 0 {
		return nil, nil
	}
	if err := e.mount(); err != nil {
		return nil, err
	}
	var done []platform.Platform
	var errs []error
	for _, p := range missing {
		h := Handler(p)
		if _, ok := qemuNames[p.Architecture]; !ok {
			errs = append(errs, fmt.Errorf("%s: QEMU has no user-mode emulator for it", p))
			continue
		}
		if err := e.register(h); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		done = append(done, p)
	}
	return done, errors.Join(errs...)
}

// mount mounts binfmt_misc where it is not yet.
func (e Emulation) mount() error {
	if _, err := os.Stat(filepath.Join(e.root(), "register")); err == nil {
		return nil
	}
	if err := mountBinfmt(e.root()); err != nil {
		return fmt.Errorf("mounting binfmt_misc on %s (needs root): %w", e.root(), err)
	}
	return nil
}

// register writes the handler's description to binfmt_misc, or enables
// it when it is registered with the F flag but off. One registered
// without the flag is removed and registered again, with it.
func (e Emulation) register(handler string) error {
	entry := filepath.Join(e.root(), handler)
	s := e.state(handler)
	if s.registered && s.fixBinary {
		if err := os.WriteFile(entry, []byte("1"), 0); err != nil {
			return fmt.Errorf("enabling %s: %w", handler, err)
		}
		return nil
	}
	// The description first: a handler without it is left as it was.
	def, err := e.definition(handler)
	if err != nil {
		return err
	}
	if s.registered {
		if err := os.WriteFile(entry, []byte("-1"), 0); err != nil {
			return fmt.Errorf("removing %s, registered without the F flag, to register it with it: %w", handler, err)
		}
	}
	if err := os.WriteFile(filepath.Join(e.root(), "register"), []byte(def), 0); err != nil {
		return fmt.Errorf("registering %s with binfmt_misc (needs root): %w", handler, err)
	}
	return nil
}

// definition is the register line of handler, from binfmt-support's file
// for it: :NAME:M:OFFSET:MAGIC:MASK:INTERPRETER:FLAGS.
func (e Emulation) definition(handler string) (string, error) {
	file := filepath.Join(e.defs(), handler)
	dt, err := safefile.Read(file, 64<<10)
	if err != nil {
		return "", fmt.Errorf("no description of %s (%v): apt-get install qemu-user-static binfmt-support", handler, err)
	}
	f := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(dt))
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		f[k] = strings.TrimSpace(v)
	}
	interp := f["interpreter"]
	if interp == "" || f["magic"] == "" {
		return "", fmt.Errorf("%s describes no interpreter and magic", file)
	}
	if _, err := os.Stat(interp); err != nil {
		return "", fmt.Errorf("%s's emulator %s is missing: apt-get install qemu-user-static", handler, interp)
	}
	// F: the kernel opens the emulator now, so containers, which do not
	// have it in their filesystem, can use it.
	flags := "F"
	if f["preserve"] == "yes" {
		flags += "P"
	}
	if f["credentials"] == "yes" {
		flags += "C"
	}
	offset := f["offset"]
	if offset == "" {
		offset = "0"
	}
	return fmt.Sprintf(":%s:M:%s:%s:%s:%s:%s", handler, offset, f["magic"], f["mask"], interp, flags), nil
}
