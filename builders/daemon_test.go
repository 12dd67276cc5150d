package builders

import (
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/ref"
)

// The parsed hosts go to buildkitd.toml as they are, one section each.
func TestConfigInsecure(t *testing.T) {
	d := Daemon{State: "/state", Addr: "unix:///run/bk.sock", Insecure: []ref.Host{"localhost:5000", "[::1]:5000"}}
	got := string(d.config("/usr/bin/runc"))
	for _, want := range []string{
		"\n[registry.\"localhost:5000\"]\n  http = true\n  insecure = true\n",
		"\n[registry.\"[::1]:5000\"]\n  http = true\n  insecure = true\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %q:\n%s", want, got)
		}
	}
}
