package dockerauth

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	cfgPath := filepath.Join(dir, "config.json")

	// Missing: an empty config, no warning.
	cf, err := Load()
	if err != nil || len(cf.AuthConfigs) != 0 {
		t.Fatalf("missing config: %v, %v", cf.AuthConfigs, err)
	}

	// Credentials for a registry and for Docker Hub's legacy key.
	if err := os.WriteFile(cfgPath, []byte(`{"auths": {
		"registry.example.com": {"auth": "YWxpY2U6czNjcmV0"},
		"https://index.docker.io/v1/": {"auth": "Ym9iOmh1Yg=="}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if cf, err = Load(); err != nil {
		t.Fatal(err)
	}
	kc := Keychain(cf)
	for _, c := range []struct{ repo, user, pass string }{
		{"registry.example.com/app", "alice", "s3cret"},
		{"library/ubuntu", "bob", "hub"},
		{"other.example.com/app", "", ""},
	} {
		repo, err := name.NewRepository(c.repo)
		if err != nil {
			t.Fatal(err)
		}
		a, err := kc.Resolve(repo)
		if err != nil {
			t.Fatal(err)
		}
		got, err := authn.Authorization(t.Context(), a)
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != c.user || got.Password != c.pass {
			t.Errorf("%s: %s:%s, want %s:%s", c.repo, got.Username, got.Password, c.user, c.pass)
		}
	}

	// Not JSON, too large, a FIFO: an empty config and a warning, at once.
	// The FIFO last: writing the others would block on it.
	for _, c := range []struct {
		name  string
		write func() error
	}{
		{"not JSON", func() error { return os.WriteFile(cfgPath, []byte("{"), 0o600) }},
		{"too large", func() error { return os.WriteFile(cfgPath, make([]byte, MaxConfigSize+1), 0o600) }},
		{"FIFO", func() error {
			os.Remove(cfgPath)
			return syscall.Mkfifo(cfgPath, 0o600)
		}},
	} {
		name := c.name
		if err := c.write(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		var cf2 = cf
		go func() {
			cf2, err = Load()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Load hangs", name)
		}
		if err == nil || len(cf2.AuthConfigs) != 0 || !strings.Contains(err.Error(), cfgPath) {
			t.Errorf("%s: %v, %v", name, cf2.AuthConfigs, err)
		}
	}
}

// resolve is what kc gives go-containerregistry for ref's repository.
func resolve(t *testing.T, kc authn.Keychain, ref string) (authn.AuthConfig, error) {
	t.Helper()
	repo, err := name.NewRepository(ref)
	if err != nil {
		t.Fatal(err)
	}
	a, err := kc.Resolve(repo)
	if err != nil {
		return authn.AuthConfig{}, err
	}
	got, err := authn.Authorization(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	return *got, nil
}

// load writes config as a Docker config file and loads it.
func load(t *testing.T, config string) authn.Keychain {
	t.Helper()
	// Credentials in the environment would take precedence over the file's.
	t.Setenv("DOCKER_AUTH_CONFIG", "")
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cf, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Keychain(cf)
}

func TestKeychainAuths(t *testing.T) {
	basic := func(user, pass string) string {
		return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	}
	kc := load(t, `{"auths": {
		"https://index.docker.io/v1/": {"auth": "`+basic("hub", "hub-pw")+`"},
		"localhost:5000": {"auth": "`+basic("port", "port-pw")+`"},
		"https://old.example.com/v1/": {"auth": "`+basic("old", "old-pw")+`"},
		"id.example.com": {"identitytoken": "refresh"},
		"bearer.example.com": {"registrytoken": "bearer"},
		"repo.example.com/team/app": {"auth": "`+basic("repo", "repo-pw")+`"}}}`)
	hub := authn.AuthConfig{Username: "hub", Password: "hub-pw"}
	for _, c := range []struct {
		ref  string
		want authn.AuthConfig
	}{
		// Docker Hub, however it is spelled, is docker's legacy key.
		{"ubuntu", hub},
		{"docker.io/library/ubuntu", hub},
		{"index.docker.io/org/app", hub},
		// The port is part of the host.
		{"localhost:5000/app", authn.AuthConfig{Username: "port", Password: "port-pw"}},
		{"localhost:5001/app", authn.AuthConfig{}},
		{"localhost/app", authn.AuthConfig{}},
		// A key written as a URL, or with a path, names its host:
		// credentials are per registry, as for docker and BuildKit.
		{"old.example.com/app", authn.AuthConfig{Username: "old", Password: "old-pw"}},
		{"repo.example.com/team/app", authn.AuthConfig{Username: "repo", Password: "repo-pw"}},
		{"repo.example.com/other", authn.AuthConfig{Username: "repo", Password: "repo-pw"}},
		{"id.example.com/app", authn.AuthConfig{IdentityToken: "refresh"}},
		{"bearer.example.com/app", authn.AuthConfig{RegistryToken: "bearer"}},
		{"other.example.com/app", authn.AuthConfig{}},
	} {
		got, err := resolve(t, kc, c.ref)
		if err != nil {
			t.Errorf("%s: %v", c.ref, err)
		} else if got != c.want {
			t.Errorf("%s: %+v, want %+v", c.ref, got, c.want)
		}
	}
}

// helper installs docker-credential-NAME on PATH. Asked for a server, it
// answers with user NAME and the server as password; servers named
// missing, broken or token get no credentials, a failure, or an identity
// token.
func helper(t *testing.T, dir, helperName string) {
	t.Helper()
	script := `#!/bin/sh
[ "$1" = get ] || exit 1
read -r server
case "$server" in
*missing*) echo "credentials not found in native keychain"; exit 1 ;;
*broken*) echo "keychain is locked"; exit 1 ;;
*token*) printf '{"Username": "<token>", "Secret": "%s-token"}\n' "` + helperName + `" ;;
*) printf '{"Username": "%s", "Secret": "%s"}\n' "` + helperName + `" "$server" ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "docker-credential-"+helperName), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestKeychainHelpers(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("the test's credential helpers are shell scripts")
	}
	bin := t.TempDir()
	helper(t, bin, "store")
	helper(t, bin, "helper")
	t.Setenv("PATH", bin+string(filepath.ListSeparator)+os.Getenv("PATH"))
	kc := load(t, `{
		"credsStore": "store",
		"credHelpers": {"helped.example.com": "helper", "https://index.docker.io/v1/": "helper"},
		"auths": {"plain.example.com": {"auth": "cGxhaW46cGxhaW4tcHc="}}}`)
	for _, c := range []struct {
		ref  string
		want authn.AuthConfig
	}{
		// A host's credHelpers entry before the credsStore; Docker Hub's
		// entry is under its legacy key, which the helper is asked for.
		{"helped.example.com/app", authn.AuthConfig{Username: "helper", Password: "helped.example.com"}},
		{"library/ubuntu", authn.AuthConfig{Username: "helper", Password: "https://index.docker.io/v1/"}},
		{"other.example.com:5000/app", authn.AuthConfig{Username: "store", Password: "other.example.com:5000"}},
		// With a credsStore, docker asks it, not auths.
		{"plain.example.com/app", authn.AuthConfig{Username: "store", Password: "plain.example.com"}},
		{"token.example.com/app", authn.AuthConfig{IdentityToken: "store-token"}},
		{"missing.example.com/app", authn.AuthConfig{}},
	} {
		got, err := resolve(t, kc, c.ref)
		if err != nil {
			t.Errorf("%s: %v", c.ref, err)
		} else if got != c.want {
			t.Errorf("%s: %+v, want %+v", c.ref, got, c.want)
		}
	}
	// A helper that fails is an error naming the registry, not anonymous
	// access that would fail later with a less helpful message.
	if _, err := resolve(t, kc, "broken.example.com/app"); err == nil || !strings.Contains(err.Error(), "credentials for broken.example.com") {
		t.Errorf("broken helper: %v", err)
	}
}
