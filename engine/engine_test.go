package engine

import "testing"

// hostPlatform reads the kernel's machine names Docker reports (uname -m):
// x86_64 and aarch64 as platform.Of does, and the 32-bit ARM and x86 ones
// of a Raspberry Pi OS or an old PC, which containerd does not know.
func TestHostPlatform(t *testing.T) {
	for _, c := range []struct{ os, arch, want string }{
		{"linux", "x86_64", "linux/amd64"},
		{"linux", "aarch64", "linux/arm64"},
		{"", "amd64", "linux/amd64"},
		{"linux", "armv7l", "linux/arm/v7"},
		{"linux", "armv6l", "linux/arm/v6"},
		{"linux", "armv8l", "linux/arm/v8"},
		{"linux", "armv5tel", "linux/arm/v5"},
		{"linux", "i686", "linux/386"},
		{"linux", "i386", "linux/386"},
		{"linux", "riscv64", "linux/riscv64"},
	} {
		if got := hostPlatform(c.os, c.arch).String(); got != c.want {
			t.Errorf("hostPlatform(%q, %q) = %s, want %s", c.os, c.arch, got, c.want)
		}
	}
}
