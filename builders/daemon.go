package builders

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/ref"
)

// Daemon is the local driver: a buildkitd on this host that bricklayer
// starts and stops, or a daemon that answers at an address, which it
// only reports.
type Daemon struct {
	// Addr is where it answers; bootstrap starts one only on a unix
	// socket (unix:///...).
	Addr string
	// State holds its root, config, log and pid file.
	State string
	// Binary is the buildkitd to run; empty looks it up on PATH.
	Binary string
	// Insecure lists registries it reaches over plain HTTP.
	Insecure []ref.Host
	// Platforms restricts what its worker builds (buildkitd's
	// oci-worker-platform); empty is everything it can, emulated or not.
	Platforms []platform.Platform
	// Emulation is set up before the daemon starts, so it sees the
	// handlers.
	Emulation Emulate
	// Notes receives what the user should know as bootstrap goes.
	Notes io.Writer
}

// DefaultState is where bootstrap keeps a daemon's files.
func DefaultState() string {
	if os.Geteuid() == 0 {
		return "/var/lib/bricklayer/buildkit"
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "bricklayer", "buildkit")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "state", "bricklayer", "buildkit")
}

// Status is what a reachable daemon reports.
type Status struct {
	Addr      string
	Platforms []platform.Platform
	Started   bool // bootstrap started it
}

// Bootstrap sets up emulation, then returns the status of the daemon at
// d.Addr, starting one there first if none answers. It starts only local
// unix-socket daemons.
func (d Daemon) Bootstrap(ctx context.Context) (*Status, error) {
	want, err := d.Emulation.want(ctx)
	if err != nil {
		return nil, err // the spec's, as vet reports it
	}
	d.Emulation.register(want, nil, nil, "", d.Notes)
	st, err := d.start(ctx)
	if err != nil {
		return nil, &noDaemon{err: err}
	}
	return st, nil
}

// Describe says where the daemon keeps its files.
func (d Daemon) Describe() string { return "state in " + d.State }

// Inspect reaches the daemon at d.Addr.
func (d Daemon) Inspect(ctx context.Context, want []platform.Platform) NodeStatus {
	return inspectAt(ctx, d.Addr, want)
}

// start returns the status of the daemon at d.Addr, starting one there
// first if none answers.
func (d Daemon) start(ctx context.Context) (*Status, error) {
	if st, err := status(ctx, d.Addr); err == nil {
		return st, nil
	}
	sock, ok := strings.CutPrefix(d.Addr, "unix://")
	if !ok {
		return nil, fmt.Errorf("no BuildKit daemon answers at %s, and bootstrap starts only local ones (unix://)", d.Addr)
	}
	bin, err := d.binary()
	if err != nil {
		return nil, err
	}
	runc, err := findRunc()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(d.State, 0o700); err != nil {
		return nil, fmt.Errorf("creating state dir: %w", err)
	}
	// One bootstrap of a state at a time: a second would remove the
	// socket the first one's daemon just made and start a daemon that
	// exits on buildkitd's own lock. It waits, then finds the daemon.
	lock, err := os.OpenFile(filepath.Join(d.State, "bootstrap.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", d.State, err)
	}
	defer lock.Close() // releases the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("locking %s: %w", d.State, err)
	}
	if st, err := status(ctx, d.Addr); err == nil {
		return st, nil
	}
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		return nil, fmt.Errorf("creating socket dir: %w", err)
	}
	os.Remove(sock) // a stale socket of a daemon that is gone
	cfg := filepath.Join(d.State, "buildkitd.toml")
	if err := safefile.Write(cfg, d.config(runc), 0o644); err != nil {
		return nil, fmt.Errorf("writing %s: %w", cfg, err)
	}
	logPath := filepath.Join(d.State, "buildkitd.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own session: the daemon outlives this process and its terminal.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	pid := cmd.Process.Pid
	if err := safefile.Write(d.pidFile(), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.After(60 * time.Second)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("buildkitd exited (%v); last lines of %s:\n%s", err, logPath, tail(logPath, 15))
		case <-deadline:
			return nil, fmt.Errorf("buildkitd did not answer at %s within 60s; last lines of %s:\n%s", d.Addr, logPath, tail(logPath, 15))
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if st, err := status(ctx, d.Addr); err == nil {
			st.Started = true
			return st, nil
		}
	}
}

// Stop ends the daemon bootstrap started in d.State: SIGTERM, and
// SIGKILL when it has not exited 15s later.
func (d Daemon) Stop(ctx context.Context) (string, error) {
	dt, err := safefile.Read(d.pidFile(), 64)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("no daemon started by bricklayer in %s", d.State)
	}
	if err != nil {
		return "", err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(dt)))
	if err != nil {
		return "", fmt.Errorf("bad pid file %s: %w", d.pidFile(), err)
	}
	// A pid can be reused after the daemon died: only signal a buildkitd.
	if cmdline, _ := safefile.Read(fmt.Sprintf("/proc/%d/cmdline", pid), 1<<20); !bytes.Contains(cmdline, []byte("buildkitd")) {
		os.Remove(d.pidFile())
		return "", fmt.Errorf("the daemon started in %s (pid %d) is not running", d.State, pid)
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return "", err
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return "", fmt.Errorf("stopping buildkitd (pid %d): %w", pid, err)
	}
	stopped := "stopped the daemon of " + d.State
	deadline := time.After(15 * time.Second)
	for p.Signal(syscall.Signal(0)) == nil {
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("stopping buildkitd (pid %d): %w", pid, ctx.Err())
		case <-deadline:
			p.Signal(syscall.SIGKILL)
			os.Remove(d.pidFile())
			return stopped, nil
		case <-time.After(100 * time.Millisecond):
		}
	}
	os.Remove(d.pidFile())
	return stopped, nil
}

func status(ctx context.Context, addr string) (*Status, error) {
	c, workers, err := connect(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return &Status{Addr: addr, Platforms: workerPlatforms(workers)}, nil
}

func workerPlatforms(workers []*client.WorkerInfo) []platform.Platform {
	var out []platform.Platform
	seen := map[platform.Platform]bool{}
	for _, w := range workers {
		for _, p := range w.Platforms {
			s := platform.Of(p)
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func (d Daemon) pidFile() string { return filepath.Join(d.State, "buildkitd.pid") }

func (d Daemon) binary() (string, error) {
	for _, b := range []string{d.Binary, os.Getenv("BRICKLAYER_BUILDKITD")} {
		if b != "" {
			return b, nil
		}
	}
	if p, err := exec.LookPath("buildkitd"); err == nil {
		return p, nil
	}
	return "", errors.New("buildkitd not found on PATH: install BuildKit " + BuildKitVersion + " (hack/install.sh builds it) or pass --buildkitd")
}

func findRunc() (string, error) {
	if p, err := exec.LookPath("runc"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/runc", "/usr/local/sbin/runc"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("runc not found: apt-get install runc (hack/install.sh does it)")
}

// config is a buildkitd.toml for an OCI worker on runc under d.State.
func (d Daemon) config(runc string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "root = %q\n\n[grpc]\n  address = [%q]\n\n", filepath.Join(d.State, "root"), d.Addr)
	fmt.Fprintf(&b, "[worker.oci]\n  enabled = true\n  binary = %q\n  # No CNI here: steps share the host network.\n  networkMode = \"host\"\n  gc = true\n", runc)
	restrictPlatforms(&b, d.Platforms)
	b.WriteString("\n")
	b.WriteString("[worker.containerd]\n  enabled = false\n\n[cdi]\n  disabled = true\n")
	insecureRegistries(&b, d.Insecure)
	return []byte(b.String())
}

// restrictPlatforms restricts the [worker.oci] section being written to
// plats, when there are any.
func restrictPlatforms(b *strings.Builder, plats []platform.Platform) {
	if len(plats) == 0 {
		return
	}
	quoted := make([]string, len(plats))
	for i, p := range plats {
		quoted[i] = strconv.Quote(p.String())
	}
	fmt.Fprintf(b, "  platforms = [%s]\n", strings.Join(quoted, ", "))
}

// insecureRegistries lets the daemon reach each registry over plain HTTP.
func insecureRegistries(b *strings.Builder, regs []ref.Host) {
	for _, r := range regs {
		fmt.Fprintf(b, "\n[registry.%q]\n  http = true\n  insecure = true\n", r)
	}
}

// tail is the last n lines of the daemon's log, read from its last 64 KiB.
func tail(file string, n int) string {
	const window = 64 << 10
	var dt []byte
	if f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			off := max(fi.Size()-window, 0)
			dt, _ = io.ReadAll(io.NewSectionReader(f, off, window))
		}
		f.Close()
	}
	lines := strings.Split(strings.TrimRight(string(dt), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// NodeStatus is what builder inspect tells of one node.
type NodeStatus struct {
	Node     Node
	Err      error // unreachable
	Version  string
	Native   []platform.Platform // the platforms of the daemon's own architecture
	Emulated []platform.Platform
	Takes    []platform.Platform // the spec's platforms this node will build
}

// inspectAt reaches the one daemon at addr, as Inspect does.
func inspectAt(ctx context.Context, addr string, want []platform.Platform) NodeStatus {
	return Inspect(ctx, SingleDaemon(addr), want)[0]
}

// Inspect reaches every node of b and tells what it builds, and which of
// want (the spec's platforms) each node takes.
func Inspect(ctx context.Context, b *Builder, want []platform.Platform) []NodeStatus {
	var out []NodeStatus
	var reached []*Conn
	for _, n := range b.Nodes {
		st := NodeStatus{Node: n}
		if err := n.checkTLSFiles(); err != nil {
			st.Err = err
			out = append(out, st)
			continue
		}
		c, workers, err := connect(ctx, n.Addr, n.clientOpts()...)
		if err != nil {
			st.Err = err
			out = append(out, st)
			continue
		}
		if info, err := c.Info(ctx); err == nil {
			st.Version = info.BuildkitVersion.Version
		}
		all := workerPlatforms(workers)
		if len(all) > 0 {
			native := all[0].Architecture
			for _, p := range all {
				if p.Architecture == native {
					st.Native = append(st.Native, p)
				} else {
					st.Emulated = append(st.Emulated, p)
				}
			}
		}
		reached = append(reached, &Conn{Node: n, Client: c, Advertised: all})
		out = append(out, st)
	}
	defer CloseAll(reached)
	for _, p := range want {
		routes, err := Route(b, reached, []platform.Platform{p})
		if err != nil {
			continue
		}
		for i := range out {
			if out[i].Node.Name == routes[p].Name {
				out[i].Takes = append(out[i].Takes, p)
			}
		}
	}
	return out
}
