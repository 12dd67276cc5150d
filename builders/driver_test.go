package builders

import (
	"context"
	"strings"
	"testing"
)

func TestChooseDriver(t *testing.T) {
	up := map[string]bool{"unix:///run/buildkit/buildkitd.sock": false}
	probes := func(answering string, docker bool) Probes {
		return Probes{
			Answers: func(_ context.Context, addr string) bool { return addr == answering || up[addr] },
			Docker:  func(context.Context) (string, bool) { return "unix:///var/run/docker.sock", docker },
		}
	}
	for _, tc := range []struct {
		name          string
		driver        string
		flag, env     string
		cname         string
		nameGiven     bool
		answering     string
		docker        bool
		want, wantAdr string
		wantErr       bool
	}{
		{name: "auto reuses a daemon that answers", driver: "auto", answering: DefaultAddr, docker: true, want: driverRunning, wantAdr: DefaultAddr},
		{name: "auto prefers Docker to a binary", driver: "auto", docker: true, want: DriverDockerContainer, wantAdr: "docker-container://bricklayer"},
		{name: "auto without Docker starts buildkitd", driver: "auto", want: DriverLocal, wantAdr: DefaultAddr},
		{name: "auto keeps an address asked for", driver: "auto", flag: "unix:///tmp/x.sock", docker: true, want: DriverLocal, wantAdr: "unix:///tmp/x.sock"},
		{name: "auto keeps BUILDKIT_HOST", driver: "auto", env: "unix:///tmp/x.sock", docker: true, want: DriverLocal, wantAdr: "unix:///tmp/x.sock"},
		{name: "auto on a container address", driver: "auto", flag: "docker-container://ci", docker: true, want: DriverDockerContainer, wantAdr: "docker-container://ci"},
		{name: "auto on a running container", driver: "auto", env: "docker-container://ci", answering: "docker-container://ci", want: driverRunning, wantAdr: "docker-container://ci"},
		{name: "docker-container ignores a unix BUILDKIT_HOST", driver: "docker-container", env: "unix:///tmp/ci.sock", cname: "b2", nameGiven: true, want: DriverDockerContainer, wantAdr: "docker-container://b2"},
		{name: "docker-container takes its name from BUILDKIT_HOST", driver: "docker-container", env: "docker-container://b3", want: DriverDockerContainer, wantAdr: "docker-container://b3"},
		{name: "docker-container refuses another address", driver: "docker-container", flag: "unix:///tmp/ci.sock", wantErr: true},
		{name: "name and address disagree", driver: "docker-container", flag: "docker-container://a", cname: "b", nameGiven: true, wantErr: true},
		{name: "local on a container address", driver: "local", flag: "docker-container://a", wantErr: true},
		{name: "local", driver: "local", docker: true, want: DriverLocal, wantAdr: DefaultAddr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := tc.cname
			if name == "" {
				name = DefaultContainerName
			}
			got, err := ChooseDriver(context.Background(), tc.driver, tc.flag, tc.env, name, tc.nameGiven, probes(tc.answering, tc.docker))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Driver != tc.want || got.Addr != tc.wantAdr || got.Why == "" {
				t.Errorf("got %+v, want driver %s at %s (with a reason)", got, tc.want, tc.wantAdr)
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
