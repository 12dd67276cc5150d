package buildopt

import (
	"reflect"
	"strings"
	"testing"

	"github.com/distribution/reference"
)

func TestParseOutput(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Output
		wantErr string
	}{
		{in: "type=oci,dest=out.tar", want: Output{Type: "oci", Dest: "out.tar", Tar: true}},
		{in: "type=oci,dest=out,tar=false", want: Output{Type: "oci", Dest: "out"}},
		{in: `type=oci,"dest=a,b"`, want: Output{Type: "oci", Dest: "a,b", Tar: true}},
		{in: "type=tar,dest=x", wantErr: "type must be oci"},
		{in: "type=oci", wantErr: "dest is required"},
		{in: "type=oci,dest=x,tar=maybe", wantErr: `tar="maybe": want true or false`},
		{in: "type=oci,dest=x,color=red", wantErr: `unknown key "color"`},
		{in: "type=oci,dest", wantErr: `"dest" is not key=value`},
		{in: "type=oci,dest=a,dest=b", wantErr: "dest given twice"},
		{in: `type=oci,"dest=x`, wantErr: "not a comma-separated list"},
		{in: "", wantErr: "empty"},
	} {
		got, err := ParseOutput(tc.in)
		check(t, tc.in, got, tc.want, err, tc.wantErr)
	}
}

func TestParseCache(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Cache
		wantErr string
	}{
		{in: "type=registry,ref=ghcr.io/acme/cache,mode=max", want: Cache{Type: "registry", Attrs: map[string]string{"ref": "ghcr.io/acme/cache", "mode": "max"}}},
		{in: "type=local,src=dir", want: Cache{Type: "local", Attrs: map[string]string{"src": "dir"}}},
		{in: "type=inline", want: Cache{Type: "inline", Attrs: map[string]string{}}},
		{in: "type=gha,scope=x", want: Cache{Type: "gha", Attrs: map[string]string{"scope": "x"}}},
		{in: "type=registry,ref=Bad Ref", wantErr: "ref: invalid reference format"},
		{in: "type=local", wantErr: "type=local needs dest= (export) or src= (import)"},
		{in: "type=floppy", wantErr: `unknown type "floppy"`},
		{in: "ref=x", wantErr: "type is required"},
		{in: "type=local,dest=d,mode=most", wantErr: `mode="most": want min or max`},
	} {
		got, err := ParseCache(tc.in)
		check(t, tc.in, got, tc.want, err, tc.wantErr)
	}
}

func TestParseSecret(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Secret
		wantErr string
	}{
		{in: "id=token,env=TOKEN", want: Secret{ID: "token", Env: "TOKEN"}},
		{in: "id=f,src=secret.txt", want: Secret{ID: "f", File: "secret.txt"}},
		{in: "id=f,source=secret.txt", want: Secret{ID: "f", File: "secret.txt"}},
		{in: "id=x", wantErr: "want id=ID and one of src=FILE or env=VAR"},
		{in: "id=x,src=a,env=B", wantErr: "want id=ID and one of"},
		{in: "id=x,src=a,source=b", wantErr: "src given twice"},
		{in: "id=x,src=a,mode=0400", wantErr: `unknown key "mode"`},
	} {
		got, err := ParseSecret(tc.in)
		check(t, tc.in, got, tc.want, err, tc.wantErr)
	}
}

func check[T any](t *testing.T, in string, got, want T, err error, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: error %v, want one containing %q", in, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Errorf("%q: %v", in, err)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q: got %+v, want %+v", in, got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"type=oci,dest=x", "type=registry,ref=a/b,mode=max", "id=a,src=b", `"a=b,c`, "=", ",,",
		"type=registry,ref=a/b:" + strings.Repeat("t", 100), "type=registry,ref=a/b@sha256:" + strings.Repeat("0", 64), "mode=max,version=v0.2", "true"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// None may panic; an accepted value is complete.
		if o, err := ParseOutput(s); err == nil && (o.Type != "oci" || o.Dest == "") {
			t.Errorf("ParseOutput(%q) = %+v without error", s, o)
		}
		if c, err := ParseCache(s); err == nil {
			if c.Type == "" {
				t.Errorf("ParseCache(%q) has no type", s)
			}
			// The per-image, per-platform cache of an accepted registry
			// cache is a valid reference too (names as long as the spec
			// allows, the longest platform slug).
			pt := c.PerTarget("an-image-name-of-forty-characters-long-x", "linux-amd64-v2")
			if c.Type == "registry" {
				if _, err := reference.ParseNormalizedNamed(pt.Attrs["ref"]); err != nil {
					t.Errorf("ParseCache(%q).PerTarget: ref %q: %v", s, pt.Attrs["ref"], err)
				}
			}
		}
		if sec, err := ParseSecret(s); err == nil && (sec.ID == "" || (sec.File == "") == (sec.Env == "")) {
			t.Errorf("ParseSecret(%q) = %+v without error", s, sec)
		}
		// An accepted provenance is off only when it says false.
		if p, err := ParseProvenance(s); err == nil && p.Enabled() == (s == "false") {
			t.Errorf("ParseProvenance(%q) = %+v without error", s, p)
		}
	})
}

func TestPerTarget(t *testing.T) {
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
		got := e.PerTarget("ui", "linux-arm-v7")
		if got.Type != e.Type || !reflect.DeepEqual(got.Attrs, tc.want) {
			t.Errorf("%s: got %+v, want %v", tc.in, got, tc.want)
		}
		if e.Attrs["ref"] != "" && e.Attrs["ref"] == got.Attrs["ref"] {
			t.Errorf("%s: the entry given was changed", tc.in)
		}
	}
}

func TestGitHubCache(t *testing.T) {
	c, err := ParseCache("type=gha,mode=max")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ACTIONS_RUNTIME_TOKEN": "tok", "ACTIONS_CACHE_URL": "https://cache/", "ACTIONS_RESULTS_URL": "https://results/"}
	got := c.FromRunner(func(k string) string { return env[k] }).PerTarget("ui", "linux-arm-v7")
	want := map[string]string{"mode": "max", "token": "tok", "url": "https://cache/", "url_v2": "https://results/", "scope": "bricklayer-ui-linux-arm-v7"}
	if !reflect.DeepEqual(got.Attrs, want) {
		t.Errorf("got %v, want %v", got.Attrs, want)
	}
	if len(c.Attrs) != 1 {
		t.Errorf("the parsed entry was changed: %v", c.Attrs)
	}
	own, _ := ParseCache("type=gha,scope=web,token=mine")
	got = own.FromRunner(func(k string) string { return env[k] }).PerTarget("ui", "linux-amd64")
	if got.Attrs["token"] != "mine" || got.Attrs["scope"] != "web-ui-linux-amd64" {
		t.Errorf("given attributes must win: %v", got.Attrs)
	}
	if reg, _ := ParseCache("type=registry,ref=r.io/c"); !reflect.DeepEqual(reg.FromRunner(func(string) string { return "x" }), reg) {
		t.Errorf("a registry cache changed")
	}
}

func TestParseProvenance(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Provenance
		attr    string
		wantErr string
	}{
		{in: "true", want: Provenance{Mode: "min"}, attr: "mode=min"},
		{in: "false", want: Provenance{}, attr: ""},
		{in: "mode=min", want: Provenance{Mode: "min"}, attr: "mode=min"},
		{in: "mode=max", want: Provenance{Mode: "max"}, attr: "mode=max"},
		{in: "mode=max,version=v0.2", want: Provenance{Mode: "max", Version: "v0.2"}, attr: "mode=max,version=v0.2"},
		{in: "version=v1", want: Provenance{Mode: "min", Version: "v1"}, attr: "mode=min,version=v1"},
		{in: "", wantErr: "want true, false or mode=min|max"},
		{in: "yes", wantErr: "want true, false or mode=min|max"},
		{in: "1", wantErr: "want true, false or mode=min|max"},
		{in: "mode=full", wantErr: `mode="full": want min or max`},
		{in: "mode=", wantErr: `mode="": want min or max`},
		{in: "version=v2", wantErr: `version="v2": want v1 or v0.2`},
		{in: "mode=max,builder-id=x", wantErr: `unknown key "builder-id" (want mode, version)`},
		{in: "mode=min,mode=max", wantErr: "mode given twice"},
		{in: "type=provenance", wantErr: `unknown key "type"`},
	} {
		got, err := ParseProvenance(tc.in)
		check(t, tc.in, got, tc.want, err, tc.wantErr)
		if err == nil {
			if a := got.Attr(); a != tc.attr {
				t.Errorf("%q: Attr() = %q, want %q", tc.in, a, tc.attr)
			}
			if got.Enabled() != (tc.attr != "") {
				t.Errorf("%q: Enabled() = %v", tc.in, got.Enabled())
			}
		}
	}
}
