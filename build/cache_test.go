package build

import (
	"testing"

	"github.com/moby/buildkit/client"
)

func TestPerPlatformCache(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
	}{
		{"type=registry,ref=ghcr.io/acme/cache,mode=max", map[string]string{"ref": "ghcr.io/acme/cache:cache-ui-linux-arm-v7", "mode": "max"}},
		{"type=registry,ref=ghcr.io/acme/cache:ci", map[string]string{"ref": "ghcr.io/acme/cache:ci-ui-linux-arm-v7"}},
		{"type=local,dest=/tmp/c", map[string]string{"dest": "/tmp/c/ui/linux-arm-v7"}},
		{"type=local,src=/tmp/c", map[string]string{"src": "/tmp/c/ui/linux-arm-v7"}},
		{"type=inline", map[string]string{}},
	} {
		e, err := ParseCache(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		got := perPlatform(e, "ui", "linux/arm/v7")
		if got.Type != e.Type || len(got.Attrs) != len(tc.want) {
			t.Errorf("%s: got %+v, want %v", tc.in, got, tc.want)
		}
		for k, v := range tc.want {
			if got.Attrs[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.in, k, got.Attrs[k], v)
			}
		}
		if e.Attrs["ref"] != "" && e.Attrs["ref"] == got.Attrs["ref"] {
			t.Errorf("%s: the entry given was changed", tc.in)
		}
	}
	for _, bad := range []string{"type=registry", "type=registry,ref=Bad Ref", "type=local", "type=floppy", "ref=x", "mode"} {
		if _, err := ParseCache(bad); err == nil {
			t.Errorf("ParseCache(%q) accepted", bad)
		}
	}
	two := derive([]client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": "r.io/c"}}}, "api", []string{"linux/amd64", "linux/arm64"})
	if len(two) != 2 || two[0].Attrs["ref"] == two[1].Attrs["ref"] {
		t.Errorf("derive = %+v", two)
	}
}
