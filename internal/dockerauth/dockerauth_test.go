package dockerauth

import (
	"os"
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
