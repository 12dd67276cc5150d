package ref

import "testing"

func TestParseRepository(t *testing.T) {
	for in, want := range map[string]string{
		"acme/app":                 "docker.io/acme/app",
		"ubuntu":                   "docker.io/library/ubuntu",
		"ghcr.io/acme/app":         "ghcr.io/acme/app",
		"localhost:5000/acme/app":  "localhost:5000/acme/app",
		"[::1]:5000/acme/app":      "[::1]:5000/acme/app",
		"registry.local/team/tool": "registry.local/team/tool",
	} {
		named, err := ParseRepository(in)
		if err != nil || named.String() != want {
			t.Errorf("ParseRepository(%q) = %v, %v; want %s", in, named, err, want)
		}
	}
	for in, want := range map[string]string{
		"acme/app:1.0":         `repository "acme/app:1.0" has a tag or digest; list tags in tags`,
		"localhost:99999/app":  `invalid repository "localhost:99999/app": registry port 99999 is out of range 1-65535`,
		"Acme/App":             `invalid repository "Acme/App": invalid reference format: repository name (App) must be lowercase`,
		"ghcr.io/acme/app@sha": `invalid repository "ghcr.io/acme/app@sha": invalid reference format`,
	} {
		if _, err := ParseRepository(in); err == nil || err.Error() != want {
			t.Errorf("ParseRepository(%q): error %v, want %s", in, err, want)
		}
	}
}

func TestTagged(t *testing.T) {
	if got := Tagged("localhost:5000/acme/app", "1.2"); got != "localhost:5000/acme/app:1.2" {
		t.Errorf("Tagged = %s", got)
	}
}

func TestDigested(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if got := Digested("localhost:5000/acme/app", d); got != "localhost:5000/acme/app@"+d {
		t.Errorf("Digested = %s", got)
	}
}

func TestHostOf(t *testing.T) {
	for in, want := range map[string]Host{
		"docker.io/acme/app":      "docker.io",
		"acme/app":                "docker.io",
		"localhost:5000/acme/app": "localhost:5000",
		"localhost/app":           "localhost",
		"127.0.0.1:5000/app":      "127.0.0.1:5000",
		"[::1]:5000/app":          "[::1]:5000",
		"Registry.Local:5000/app": "registry.local:5000",
	} {
		if got, err := HostOf(in); err != nil || got != want {
			t.Errorf("HostOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := HostOf("Bad Name"); err == nil {
		t.Error("HostOf accepts an invalid repository")
	}
}

func TestParseHost(t *testing.T) {
	for in, want := range map[string]Host{
		"localhost":           "localhost",
		"localhost:5000":      "localhost:5000",
		"127.0.0.1:5000":      "127.0.0.1:5000",
		"[::1]:5000":          "[::1]:5000",
		"[2001:db8::1]":       "[2001:db8::1]",
		"registry.local":      "registry.local",
		"Registry.Local:5000": "registry.local:5000",
		"myhost:5000":         "myhost:5000",
		"index.docker.io":     "docker.io",
	} {
		got, err := ParseHost(in)
		if err != nil || got != want {
			t.Errorf("ParseHost(%q) = %q, %v; want %q", in, got, err, want)
		}
		// What a flag gives and what a repository on it reads compare
		// equal.
		if on, err := HostOf(string(got) + "/app"); err != nil || on != got {
			t.Errorf("HostOf(%q/app) = %q, %v; want %q", got, on, err, got)
		}
	}
	for in, want := range map[string]string{
		"":                      "empty registry host",
		"http://localhost:5000": "want HOST[:PORT] without a scheme",
		"localhost:5000/v2":     "want HOST[:PORT] without a path",
		"localhost:5000/":       "want HOST[:PORT] without a path",
		"ghcr.io/acme/app@sha":  "want HOST[:PORT] without a path",
		"localhost:99999":       "registry port 99999 is out of range 1-65535",
		"localhost:0":           "registry port 0 is out of range 1-65535",
		"localhost:":            "want HOST[:PORT], HOST a name, localhost, an IPv4 address or a bracketed IPv6 one",
		"::1":                   "want HOST[:PORT], HOST a name, localhost, an IPv4 address or a bracketed IPv6 one",
		"reg istry":             "want HOST[:PORT], HOST a name, localhost, an IPv4 address or a bracketed IPv6 one",
		"acme":                  "acme is not a registry host: a registry's name has a dot or a port (or is localhost); acme/app is a Docker Hub repository",
		"Acme":                  "acme is not a registry host: a registry's name has a dot or a port (or is localhost); acme/app is a Docker Hub repository",
	} {
		if _, err := ParseHost(in); err == nil || err.Error() != want {
			t.Errorf("ParseHost(%q): error %v, want %s", in, err, want)
		}
	}
}
