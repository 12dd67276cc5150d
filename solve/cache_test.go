package solve

import (
	"slices"
	"testing"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/bricklayer-build/bricklayer/buildopt"
)

// TestImportsOf: in a session of several platforms each solve imports its
// own caches, as the client handed them over (a local one pinned to its
// digest), and none of a sibling's; a session of one imports them all.
func TestImportsOf(t *testing.T) {
	all := []gateway.CacheOptionsEntry{
		{Type: "local", Attrs: map[string]string{"src": "/c/app/linux-amd64", "digest": "sha256:aa"}},
		{Type: "local", Attrs: map[string]string{"src": "/c/app/linux-arm64", "digest": "sha256:bb"}},
		{Type: "s3", Attrs: map[string]string{"bucket": "b"}},
	}
	req := Request{Platform: arm64, CacheFrom: []buildopt.Cache{
		{Type: "local", Attrs: map[string]string{"src": "/c/app/linux-arm64"}},
		{Type: "s3", Attrs: map[string]string{"bucket": "b"}},
	}}
	var got []string
	for _, e := range importsOf(all, req, false) {
		got = append(got, e.Type+" "+e.Attrs["src"]+e.Attrs["bucket"])
	}
	if want := []string{"local /c/app/linux-arm64", "s3 b"}; !slices.Equal(got, want) {
		t.Errorf("imports %v, want %v", got, want)
	}
	if n := len(importsOf(all, req, true)); n != 3 {
		t.Errorf("alone: %d imports, want all 3", n)
	}
}
