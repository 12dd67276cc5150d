package solve

import (
	"slices"
	"testing"

	"github.com/moby/buildkit/client"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/buildopt"
	"github.com/bricklayer-build/bricklayer/platform"
)

var (
	amd64 = platform.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = platform.Platform{OS: "linux", Architecture: "arm64"}
	armv7 = platform.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
)

// TestPushExportsLast: BuildKit keeps the last exporter's digest, and the
// pushed manifest is the one publish assembles.
func TestPushExportsLast(t *testing.T) {
	n := &Nodes{}
	so, err := n.solveOpt([]Request{{
		Image: "a", Platform: amd64,
		Push: true, Repository: "example.com/a", LayoutDir: t.TempDir(),
	}}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range so.Exports {
		types = append(types, e.Type)
	}
	if len(types) != 2 || types[len(types)-1] != client.ExporterImage {
		t.Errorf("exporters %v, want the image (push) exporter last", types)
	}
}

// TestSessionsOf: an image's platforms share one session per node, but a
// load, a cache export, or local sources of the same name elsewhere
// keep their own.
func TestSessionsOf(t *testing.T) {
	a, b := &builders.Conn{Node: builders.Node{Name: "a"}}, &builders.Conn{Node: builders.Node{Name: "b"}}
	s390x := platform.Platform{OS: "linux", Architecture: "s390x"}
	riscv := platform.Platform{OS: "linux", Architecture: "riscv64"}
	routes := map[platform.Platform]*builders.Conn{amd64: a, arm64: b, armv7: a, s390x: a, riscv: a}
	ctx := map[string]string{"context": "/src"}
	reqs := []Request{
		{Platform: amd64, Locals: ctx},
		{Platform: arm64, Locals: ctx},
		{Platform: armv7, Locals: ctx, Load: true},
		{Platform: s390x, Locals: map[string]string{"context": "/elsewhere"}},
		{Platform: riscv, Locals: ctx},
	}
	got := sessionsOf(reqs, routes)
	var shape [][]int
	for _, g := range got {
		shape = append(shape, g.index)
		for i, r := range g.reqs {
			if routes[r.Platform] != g.node || reqs[g.index[i]].Platform != r.Platform {
				t.Errorf("request %d (%s) in the session of node %s", g.index[i], r.Platform, g.node.Name)
			}
		}
	}
	want := [][]int{{0, 4}, {1}, {2}, {3}}
	if !slices.EqualFunc(shape, want, slices.Equal) {
		t.Errorf("sessions %v, want %v", shape, want)
	}

	cached := []Request{
		{Platform: amd64, CacheTo: []buildopt.Cache{{Type: "local"}}},
		{Platform: armv7},
		{Platform: riscv},
	}
	shape = nil
	for _, g := range sessionsOf(cached, routes) {
		shape = append(shape, g.index)
	}
	if want := [][]int{{0}, {1, 2}}; !slices.EqualFunc(shape, want, slices.Equal) {
		t.Errorf("with a cache export: sessions %v, want %v", shape, want)
	}
}

// TestSessionSolveOpt: a session of several platforms asks for them all,
// allows every entitlement one of them needs, mounts each local source
// once and imports each platform's cache once.
func TestSessionSolveOpt(t *testing.T) {
	n := &Nodes{}
	dir := t.TempDir()
	shared := buildopt.Cache{Type: "registry", Attrs: map[string]string{"ref": "r/c:all"}}
	reqs := []Request{
		{Platform: amd64, Locals: map[string]string{"context": dir}, CacheFrom: []buildopt.Cache{shared, {Type: "registry", Attrs: map[string]string{"ref": "r/c:amd64"}}}},
		{Platform: armv7, Locals: map[string]string{"context": dir}, Entitlements: []string{"network.host"}, CacheFrom: []buildopt.Cache{shared, {Type: "registry", Attrs: map[string]string{"ref": "r/c:armv7"}}}},
	}
	so, err := n.solveOpt(reqs, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := so.FrontendAttrs["platform"]; got != "linux/amd64,linux/arm/v7" {
		t.Errorf("platform attribute %q", got)
	}
	if !slices.Equal(so.AllowedEntitlements, []string{"network.host"}) {
		t.Errorf("entitlements %v", so.AllowedEntitlements)
	}
	if len(so.LocalMounts) != 1 {
		t.Errorf("local mounts %v, want one", so.LocalMounts)
	}
	var refs []string
	for _, c := range so.CacheImports {
		refs = append(refs, c.Attrs["ref"])
	}
	if want := []string{"r/c:all", "r/c:amd64", "r/c:armv7"}; !slices.Equal(refs, want) {
		t.Errorf("cache imports %v, want %v", refs, want)
	}
}
