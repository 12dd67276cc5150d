package ciflow

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// login logs Docker in to each registry of the logins (Docker Hub for
// an empty one), each password on standard input so that no command
// line or log holds it. Every password is masked before the first login;
// a failure ends the step before anything is built.
func (st *run) login(ctx context.Context) error {
	for _, l := range st.in.Logins {
		st.r.mask(l.Password)
	}
	for _, l := range st.in.Logins {
		if err := st.dockerLogin(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

func (st *run) dockerLogin(ctx context.Context, l Login) error {
	shown := or(l.Registry, "docker.io")
	args := []string{"login", "-u", l.Username, "--password-stdin"}
	if l.Registry != "" {
		args = append(args, l.Registry)
	}
	st.r.group("docker login " + shown)
	defer st.r.endGroup()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdin = strings.NewReader(l.Password)
	cmd.Stdout, cmd.Stderr = st.Stdout, st.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker login %s failed", shown)
	}
	return nil
}

// hostQEMU installs the distribution's qemu-user-static with sudo, which
// registers the kernel's handlers, when none is registered (qemu: host).
func (st *run) hostQEMU(ctx context.Context) error {
	if runtime.GOOS != "linux" {
		return nil
	}
	if m, _ := filepath.Glob("/proc/sys/fs/binfmt_misc/qemu-*"); len(m) > 0 {
		return nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("qemu: host needs apt-get and sudo to install qemu-user-static")
	}
	if exec.CommandContext(ctx, "sudo", "-n", "true").Run() != nil {
		return fmt.Errorf("qemu: host needs apt-get and sudo to install qemu-user-static")
	}
	st.r.group("install qemu-user-static")
	defer st.r.endGroup()
	// A fresh runner's package lists can be stale.
	for _, args := range [][]string{
		{"-n", "apt-get", "update", "-qq"},
		{"-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "--no-install-recommends", "qemu-user-static"},
	} {
		cmd := exec.CommandContext(ctx, "sudo", args...)
		cmd.Stdout, cmd.Stderr = st.Stdout, st.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("qemu: sudo %s: %w", strings.Join(args[1:], " "), err)
		}
	}
	return nil
}
