package hubarch

import (
	"testing"

	"github.com/containerd/platforms"
)

// Each namespace serves the platform its name says, written as
// containerd normalizes it (arm64v8 is linux/arm64, not linux/arm64/v8).
func TestPlatform(t *testing.T) {
	for ns, want := range map[string]string{
		"amd64": "linux/amd64", "arm32v5": "linux/arm/v5", "arm32v6": "linux/arm/v6",
		"arm32v7": "linux/arm/v7", "arm64v8": "linux/arm64", "i386": "linux/386",
		"mips64le": "linux/mips64le", "ppc64le": "linux/ppc64le", "riscv64": "linux/riscv64",
		"s390x": "linux/s390x", "windows-amd64": "windows/amd64",
		"library": "", "arm32v7x": "", "arm": "", "ARM32V7": "",
	} {
		got, ok := Platform(ns)
		if got != want || ok != (want != "") {
			t.Errorf("Platform(%q) = %q, %v; want %q, %v", ns, got, ok, want, want != "")
		}
	}
	for _, ns := range []string{"amd64", "arm32v5", "arm32v6", "arm32v7", "arm64v8", "i386", "mips64le", "ppc64le", "riscv64", "s390x", "windows-amd64"} {
		p, _ := Platform(ns)
		parsed, err := platforms.Parse(p)
		if err != nil {
			t.Errorf("%s: %v", ns, err)
			continue
		}
		if n := platforms.Format(platforms.Normalize(parsed)); n != p {
			t.Errorf("%s: %s is written %s when normalized", ns, p, n)
		}
	}
}
