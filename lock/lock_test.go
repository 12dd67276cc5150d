package lock

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func testLock() *File {
	return &File{Version: Version, Bases: map[string]*Base{
		"alpine:3.20": {Digest: digest.FromString("index"), Platforms: map[string]*Platform{
			"linux/amd64":  {Manifest: digest.FromString("amd64"), Config: []byte(`{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]}}`)},
			"linux/arm/v7": {Manifest: digest.FromString("arm"), Config: []byte(`{ "architecture": "arm", "variant": "v7", "os": "linux" }`)},
		}},
		"debian:12": {Digest: digest.FromString("debian"), Platforms: map[string]*Platform{
			"linux/amd64": {Manifest: digest.FromString("d-amd64"), Config: []byte(`{"architecture":"amd64","os":"linux"}`)},
		}},
	}}
}

// TestBytesRoundTrip: the same lock gives the same bytes, and reads back
// to a lock that gives them again.
func TestBytesRoundTrip(t *testing.T) {
	a, err := testLock().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b, err := testLock().Bytes()
	if err != nil || string(a) != string(b) {
		t.Fatalf("two writes differ: %v", err)
	}
	f, err := Parse("bricklayer.lock", a)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.Bytes()
	if err != nil || string(c) != string(a) {
		t.Errorf("read back and written again, it differs:\n%s\n%s", a, c)
	}
	if strings.Index(string(a), "alpine") > strings.Index(string(a), "debian") {
		t.Error("references are not sorted")
	}
}

// TestParseErrors: a hand-edited lock is refused at the line and column of
// what is wrong, with its path.
func TestParseErrors(t *testing.T) {
	good, err := testLock().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"malformed digest", `"digest": "` + digest.FromString("index").String() + `"`, `"digest": "sha256:xyz"`, `bricklayer.lock:5:17: bases["alpine:3.20"].digest: "sha256:xyz" is not a digest`},
		{"md5", `"manifest": "` + digest.FromString("arm").String() + `"`, `"manifest": "md5:abc"`, `.platforms["linux/arm/v7"].manifest: "md5:abc" is not a`},
		{"bad platform", `"linux/arm/v7"`, `"linux/nosuch/x/y"`, `.platforms["linux/nosuch/x/y"]`},
		{"syntax", `"version": 1,`, `"version": 1,,`, `bricklayer.lock:2:16: not a lock bricklayer writes`},
		{"version", `"version": 1,`, `"version": 9,`, `bricklayer.lock: version: version 9, this bricklayer reads version 1`},
		{"unknown field", `"version": 1,`, `"version": 1, "extra": true,`, `unknown field "extra"`},
	} {
		dt := strings.Replace(string(good), tc.from, tc.to, 1)
		if dt == string(good) {
			t.Fatalf("%s: %q is not in the lock", tc.name, tc.from)
		}
		_, err := Parse("bricklayer.lock", []byte(dt))
		var le *Error
		if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an Error with %q", tc.name, err, tc.want)
		}
	}
}

// TestResolver: the lock answers with the pin and the platform's config,
// says what it lacks, and tells the entries no one asked for.
func TestResolver(t *testing.T) {
	r := testLock().Resolver()
	ctx := context.Background()
	opt := func(p ocispecs.Platform) sourceresolver.Opt {
		return sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p}}
	}
	_, d, cfg, err := r.ResolveImageConfig(ctx, "alpine:3.20", opt(ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}))
	if err != nil || d != digest.FromString("index") || !strings.Contains(string(cfg), `"variant": "v7"`) {
		t.Errorf("alpine for arm/v7: %s %s %v", d, cfg, err)
	}
	_, _, _, err = r.ResolveImageConfig(ctx, "alpine:3.20", opt(ocispecs.Platform{OS: "linux", Architecture: "arm64"}))
	var me *MissingError
	if !errors.As(err, &me) || me.Platform != "linux/arm64" {
		t.Errorf("a platform the lock lacks: %v", err)
	}
	if _, _, _, err = r.ResolveImageConfig(ctx, "busybox", opt(ocispecs.Platform{OS: "linux", Architecture: "amd64"})); !errors.As(err, &me) || me.Ref != "busybox" || me.Platform != "" {
		t.Errorf("a reference the lock lacks: %v", err)
	}
	if got := r.Unused(); len(got) != 1 || got[0] != "debian:12" {
		t.Errorf("Unused() = %v, want [debian:12]", got)
	}
	if got := r.Resolved(); len(got) != 1 || got["alpine:3.20"] != digest.FromString("index") {
		t.Errorf("Resolved() = %v, want alpine:3.20 only", got)
	}
}
