package solve

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/proto"
)

// bindTestGraph is a graph of two local sources and the ops after them,
// built with the given options for each source.
func bindTestGraph(t *testing.T, ctxOpts, subOpts []llb.LocalOption) *llb.Definition {
	t.Helper()
	ctxSrc := llb.Local("context", append([]llb.LocalOption{llb.IncludePatterns([]string{"src"})}, ctxOpts...)...)
	sub := llb.Local("context:sub", subOpts...)
	st := llb.Image("alpine:3.20").
		File(llb.Copy(ctxSrc, "src", "/src"), llb.WithCustomName("copy src")).
		File(llb.Copy(sub, "/", "/sub")).
		Run(llb.Shlex("make -C /src")).Root()
	def, err := st.Marshal(context.Background(), llb.LinuxAmd64)
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// TestBindLocals: binding a plan's local sources gives, op for op, the
// graph llb makes when the sources are given the session, unique ID and
// key hint directly; ops that do not read them keep their digests.
func TestBindLocals(t *testing.T) {
	dir := t.TempDir()
	dirs := map[string]string{"context": dir, "context:sub": filepath.Join(dir, "sub")}
	plan := bindTestGraph(t,
		[]llb.LocalOption{llb.LocalUniqueID("bricklayer:context"), llb.SharedKeyHint("context")},
		[]llb.LocalOption{llb.LocalUniqueID("bricklayer:context:sub"), llb.SharedKeyHint("context:sub")})
	bound := func(d string) []llb.LocalOption {
		id := "bricklayer:" + digest.FromString("host1\x00" + d).Encoded()[:32]
		return []llb.LocalOption{llb.LocalUniqueID(id), llb.SharedKeyHint(id), llb.SessionID("s1")}
	}
	want := bindTestGraph(t, bound(dirs["context"]), bound(dirs["context:sub"])).ToPB()
	got, err := bindLocals(plan.ToPB(), "s1", "host1", dirs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Def) != len(want.Def) {
		t.Fatalf("%d ops, want %d", len(got.Def), len(want.Def))
	}
	for i := range got.Def {
		if digest.FromBytes(got.Def[i]) != digest.FromBytes(want.Def[i]) {
			t.Errorf("op %d: %s, want %s", i, digest.FromBytes(got.Def[i]), digest.FromBytes(want.Def[i]))
		}
	}
	for k, md := range want.Metadata {
		if g, ok := got.Metadata[k]; !ok {
			t.Errorf("no metadata for op %s", k)
		} else if !proto.Equal(g, md) {
			t.Errorf("metadata of op %s: %v, want %v", k, g, md)
		}
	}
	// The image source is not a local: its op is the plan's.
	if !slices.ContainsFunc(got.Def, func(b []byte) bool { return digest.FromBytes(b) == digest.FromBytes(plan.Def[0]) }) {
		t.Error("the base image's op changed")
	}
	if _, err := bindLocals(plan.ToPB(), "s1", "host1", map[string]string{"context": dir}); err == nil {
		t.Error("bound a local source with no directory")
	}
}

// TestBindLocalsIdentity: the synced copy a local source names on the
// daemon is its host's and checkout's own.
func TestBindLocalsIdentity(t *testing.T) {
	def := bindTestGraph(t,
		[]llb.LocalOption{llb.LocalUniqueID("bricklayer:context"), llb.SharedKeyHint("context")},
		[]llb.LocalOption{llb.LocalUniqueID("bricklayer:context:sub"), llb.SharedKeyHint("context:sub")}).ToPB()
	a, b := t.TempDir(), t.TempDir()
	key := func(host, dir string) string {
		t.Helper()
		got, err := bindLocals(def, "s1", host, map[string]string{"context": dir, "context:sub": dir})
		if err != nil {
			t.Fatal(err)
		}
		var op pb.Op
		if err := proto.Unmarshal(got.Def[1], &op); err != nil {
			t.Fatal(err)
		}
		return op.GetSource().Attrs[pb.AttrSharedKeyHint]
	}
	if key("h1", a) == key("h1", b) {
		t.Error("two checkouts share a synced copy")
	}
	if key("h1", a) == key("h2", a) {
		t.Error("two hosts share a synced copy")
	}
	if key("h1", a) != key("h1", a) {
		t.Error("the same checkout's key changes")
	}
}
