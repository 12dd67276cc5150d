package builders

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/ref"
)

func TestParseDriver(t *testing.T) {
	for _, d := range Drivers {
		if got, err := ParseDriver(string(d)); err != nil || got != d {
			t.Errorf("ParseDriver(%q) = %q, %v", d, got, err)
		}
	}
	for _, bad := range []string{"kubernetes", "", "Local", "docker"} {
		_, err := ParseDriver(bad)
		var de *DriverNameError
		if !errors.As(err, &de) || errkind.Of(err) != errkind.Usage {
			t.Errorf("ParseDriver(%q) = %v, want a DriverNameError, a bad command line", bad, err)
			continue
		}
		if want := `--driver "` + bad + `": want auto, docker-container, local`; err.Error() != want {
			t.Errorf("ParseDriver(%q): %q, want %q", bad, err, want)
		}
	}
}

// kindAt is what a test sees of a driver: which one, and its address.
func kindAt(t *testing.T, d Driver) (DriverName, string) {
	t.Helper()
	switch d := d.(type) {
	case Daemon:
		return DriverLocal, d.Addr
	case Container:
		return DriverDockerContainer, d.Addr()
	}
	t.Fatalf("a driver of type %T", d)
	return "", ""
}

func TestNewDriver(t *testing.T) {
	probes := func(answering string, docker bool) Probes {
		return Probes{
			Answers: func(_ context.Context, addr string) bool { return addr == answering },
			Docker:  func(context.Context) (string, bool) { return "unix:///var/run/docker.sock", docker },
		}
	}
	for _, tc := range []struct {
		name      string
		driver    DriverName
		flag, env string
		cname     string
		answering string
		docker    bool
		want      DriverName
		wantAddr  string
		wantWhy   string
		wantErr   string
	}{
		{name: "auto reuses a daemon that answers", driver: DriverAuto, answering: DefaultAddr, docker: true, want: DriverLocal, wantAddr: DefaultAddr, wantWhy: "a BuildKit daemon answers at " + DefaultAddr + ": using it"},
		{name: "auto prefers Docker to a binary", driver: DriverAuto, docker: true, want: DriverDockerContainer, wantAddr: "docker-container://bricklayer", wantWhy: "and Docker answers at unix:///var/run/docker.sock: driver docker-container"},
		{name: "auto without Docker starts buildkitd", driver: DriverAuto, want: DriverLocal, wantAddr: DefaultAddr, wantWhy: "Docker does not answer: driver local"},
		{name: "auto keeps an address asked for", driver: DriverAuto, flag: "unix:///tmp/x.sock", docker: true, want: DriverLocal, wantAddr: "unix:///tmp/x.sock", wantWhy: "the address asked for: driver local"},
		{name: "auto keeps BUILDKIT_HOST", driver: DriverAuto, env: "unix:///tmp/x.sock", docker: true, want: DriverLocal, wantAddr: "unix:///tmp/x.sock", wantWhy: "the address asked for"},
		{name: "the flag wins over BUILDKIT_HOST", driver: DriverAuto, flag: "unix:///tmp/f.sock", env: "unix:///tmp/e.sock", want: DriverLocal, wantAddr: "unix:///tmp/f.sock", wantWhy: "no daemon answers at unix:///tmp/f.sock"},
		{name: "auto on a container address", driver: DriverAuto, flag: "docker-container://ci", docker: true, want: DriverDockerContainer, wantAddr: "docker-container://ci", wantWhy: "the address is a Docker container: driver docker-container"},
		{name: "auto on a running container", driver: DriverAuto, env: "docker-container://ci", answering: "docker-container://ci", want: DriverLocal, wantAddr: "docker-container://ci", wantWhy: "using it"},
		{name: "auto on a remote daemon that answers", driver: DriverAuto, flag: "tcp://10.0.0.1:1234", answering: "tcp://10.0.0.1:1234", want: DriverLocal, wantAddr: "tcp://10.0.0.1:1234", wantWhy: "using it"},
		{name: "docker-container", driver: DriverDockerContainer, want: DriverDockerContainer, wantAddr: "docker-container://bricklayer"},
		{name: "docker-container ignores a unix BUILDKIT_HOST", driver: DriverDockerContainer, env: "unix:///tmp/ci.sock", cname: "b2", want: DriverDockerContainer, wantAddr: "docker-container://b2"},
		{name: "docker-container takes its name from BUILDKIT_HOST", driver: DriverDockerContainer, env: "docker-container://b3", want: DriverDockerContainer, wantAddr: "docker-container://b3"},
		{name: "docker-container refuses another address", driver: DriverDockerContainer, flag: "unix:///tmp/ci.sock", wantErr: "--driver docker-container runs BuildKit at docker-container://bricklayer, not at unix:///tmp/ci.sock"},
		{name: "name and address disagree", driver: DriverDockerContainer, flag: "docker-container://a", cname: "b", wantErr: "--name b and address docker-container://a name different containers"},
		{name: "name and address disagree under auto", driver: DriverAuto, env: "docker-container://a", cname: "b", wantErr: "--name b and address docker-container://a name different containers"},
		{name: "local on a container address", driver: DriverLocal, flag: "docker-container://a", wantErr: "--driver local starts buildkitd on a unix socket, not at docker-container://a"},
		{name: "local", driver: DriverLocal, docker: true, answering: DefaultAddr, want: DriverLocal, wantAddr: DefaultAddr},
		{name: "unknown", driver: "kubernetes", wantErr: `--driver "kubernetes": want auto, docker-container, local`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Driver: tc.driver, Addr: tc.flag, EnvAddr: tc.env, Name: tc.cname, NameGiven: tc.cname != "", Probes: probes(tc.answering, tc.docker)}
			if tc.driver != DriverAuto {
				// A driver asked for by name is taken without looking.
				o.Probes = Probes{
					Answers: func(context.Context, string) bool { t.Error("probed a daemon"); return false },
					Docker:  func(context.Context) (string, bool) { t.Error("probed Docker"); return "", false },
				}
			}
			got, err := NewDriver(context.Background(), o)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || errkind.Of(err) != errkind.Usage {
					t.Fatalf("got %+v, %v; want the bad command line %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			kind, addr := kindAt(t, got.Driver)
			if kind != tc.want || addr != tc.wantAddr {
				t.Errorf("got the %s driver at %s, want %s at %s", kind, addr, tc.want, tc.wantAddr)
			}
			if (tc.wantWhy == "") != (got.Why == "") || !strings.Contains(got.Why, tc.wantWhy) {
				t.Errorf("why %q, want one with %q (only when auto chose)", got.Why, tc.wantWhy)
			}
		})
	}
}

// The options reach the driver picked.
func TestNewDriverOptions(t *testing.T) {
	amd64 := platform.Platform{OS: "linux", Architecture: "amd64"}
	o := Options{
		Image: "reg/buildkit:x", State: "/state", Binary: "/bin/bk",
		Insecure: []ref.Host{"localhost:5000"}, Platforms: []platform.Platform{amd64}, Volumes: true,
	}
	o.Driver = DriverLocal
	ch, err := NewDriver(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	d := ch.Driver.(Daemon)
	if d.State != "/state" || d.Binary != "/bin/bk" || len(d.Insecure) != 1 || len(d.Platforms) != 1 || d.Describe() != "state in /state" {
		t.Errorf("local driver %+v", d)
	}
	o.Driver = DriverDockerContainer
	ch, err = NewDriver(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	c := ch.Driver.(Container)
	if c.Image != "reg/buildkit:x" || !c.Volumes || len(c.Insecure) != 1 || len(c.Platforms) != 1 {
		t.Errorf("docker-container driver %+v", c)
	}
	if got, want := c.Describe(), "container bricklayer, image reg/buildkit:x, state in volume bricklayer_state"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}

// Stop finds the container an address names, or the one named, or else
// the local daemon of the state directory; it reaches nothing to decide.
func TestStopDriver(t *testing.T) {
	for _, tc := range []struct {
		name      string
		driver    DriverName
		flag, env string
		cname     string
		want      DriverName
		wantAddr  string
		wantErr   string
	}{
		{name: "auto stops the local daemon", driver: DriverAuto, want: DriverLocal, wantAddr: DefaultAddr},
		{name: "auto on a unix address", driver: DriverAuto, flag: "unix:///tmp/x.sock", want: DriverLocal, wantAddr: "unix:///tmp/x.sock"},
		{name: "auto on a container address", driver: DriverAuto, flag: "docker-container://ci", want: DriverDockerContainer, wantAddr: "docker-container://ci"},
		{name: "auto on a container BUILDKIT_HOST", driver: DriverAuto, env: "docker-container://ci", want: DriverDockerContainer, wantAddr: "docker-container://ci"},
		{name: "docker-container by name", driver: DriverDockerContainer, cname: "b", want: DriverDockerContainer, wantAddr: "docker-container://b"},
		{name: "docker-container whatever the unix address", driver: DriverDockerContainer, env: "unix:///tmp/ci.sock", want: DriverDockerContainer, wantAddr: "docker-container://bricklayer"},
		{name: "local whatever the address", driver: DriverLocal, env: "docker-container://ci", want: DriverLocal, wantAddr: "docker-container://ci"},
		{name: "name and address disagree", driver: DriverAuto, flag: "docker-container://b", cname: "a", wantErr: "--name a and address docker-container://b name different containers"},
		{name: "unknown", driver: "kubernetes", wantErr: `--driver "kubernetes": want auto, docker-container, local`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := StopDriver(Options{Driver: tc.driver, Addr: tc.flag, EnvAddr: tc.env, Name: tc.cname, NameGiven: tc.cname != "", State: "/state"})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || errkind.Of(err) != errkind.Usage {
					t.Fatalf("got %+v, %v; want the bad command line %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if kind, addr := kindAt(t, got); kind != tc.want || addr != tc.wantAddr {
				t.Errorf("got the %s driver at %s, want %s at %s", kind, addr, tc.want, tc.wantAddr)
			}
			if d, ok := got.(Daemon); ok && d.State != "/state" {
				t.Errorf("local driver of state %q", d.State)
			}
		})
	}
}

func TestBoundingCaps(t *testing.T) {
	// These machines: everything up to CHECKPOINT_RESTORE but SYS_RESOURCE.
	status := []byte("Name:\tcat\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n")
	caps, err := boundingCaps(status)
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != 40 || caps[0] != "CHOWN" || caps[len(caps)-1] != "CHECKPOINT_RESTORE" {
		t.Errorf("got %d caps %v", len(caps), caps)
	}
	for _, c := range caps {
		if c == "SYS_RESOURCE" {
			t.Errorf("SYS_RESOURCE is not in the set: %v", caps)
		}
	}
	// Docker's default set, and a bit past the table's end.
	caps, err = boundingCaps([]byte("CapBnd:\t80000000a80425fb\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := "CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP"
	if got := strings.Join(caps, " "); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	for _, bad := range []string{"Name:\tx\n", "CapBnd:\tzz\n"} {
		if _, err := boundingCaps([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
