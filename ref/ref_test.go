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

func TestHost(t *testing.T) {
	for in, want := range map[string]string{
		"docker.io/acme/app":      "docker.io",
		"acme/app":                "docker.io",
		"localhost:5000/acme/app": "localhost:5000",
		"localhost/app":           "localhost",
		"127.0.0.1:5000/app":      "127.0.0.1:5000",
		"[::1]:5000/app":          "[::1]:5000",
	} {
		if got, err := Host(in); err != nil || got != want {
			t.Errorf("Host(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Host("Bad Name"); err == nil {
		t.Error("Host accepts an invalid repository")
	}
}
