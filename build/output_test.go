package build

import "testing"

func TestParseOutput(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Output
		err  bool
	}{
		{in: "type=oci,dest=out.tar", want: Output{Type: "oci", Dest: "out.tar", Tar: true}},
		{in: "type=oci,dest=out,tar=false", want: Output{Type: "oci", Dest: "out", Tar: false}},
		{in: `type=oci,"dest=a,b.tar"`, want: Output{Type: "oci", Dest: "a,b.tar", Tar: true}},
		{in: "type=docker,dest=x", err: true},
		{in: "type=oci", err: true},
		{in: "type=oci,dest=x,tar=maybe", err: true},
		{in: "type=oci,dest=x,compression=zstd", err: true},
		{in: "dest", err: true},
	} {
		got, err := ParseOutput(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("ParseOutput(%q) error = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err && got != tc.want {
			t.Errorf("ParseOutput(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestDestFor(t *testing.T) {
	o := Output{Type: "oci", Dest: "out", Tar: true}
	if got := o.destFor("app", false); got != "out" {
		t.Errorf("one image: %q", got)
	}
	if got := o.destFor("app", true); got != "out/app.tar" {
		t.Errorf("several images, tar: %q", got)
	}
	o.Tar = false
	if got := o.destFor("app", true); got != "out/app" {
		t.Errorf("several images, dir: %q", got)
	}
}

func TestAddr(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	if got := Addr(""); got != DefaultAddr {
		t.Errorf("default: %q", got)
	}
	t.Setenv("BUILDKIT_HOST", "tcp://127.0.0.1:1234")
	if got := Addr(""); got != "tcp://127.0.0.1:1234" {
		t.Errorf("env: %q", got)
	}
	if got := Addr("unix:///x.sock"); got != "unix:///x.sock" {
		t.Errorf("flag: %q", got)
	}
}
