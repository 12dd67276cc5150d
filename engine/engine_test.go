package engine

import "testing"

// hostPlatform leaves normalizing to platform.Of: Docker reports the
// kernel's names (x86_64, aarch64).
func TestHostPlatform(t *testing.T) {
	for _, c := range []struct{ os, arch, want string }{
		{"linux", "x86_64", "linux/amd64"},
		{"linux", "aarch64", "linux/arm64"},
		{"", "amd64", "linux/amd64"},
	} {
		if got := hostPlatform(c.os, c.arch).String(); got != c.want {
			t.Errorf("hostPlatform(%q, %q) = %s, want %s", c.os, c.arch, got, c.want)
		}
	}
}
