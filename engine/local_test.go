package engine

import "testing"

func TestIsLocal(t *testing.T) {
	for host, want := range map[string]bool{
		"unix:///var/run/docker.sock":    true,
		"npipe:////./pipe/docker_engine": true,
		"tcp://127.0.0.1:2375":           true,
		"tcp://localhost:2375":           true,
		"tcp://[::1]:2376":               true,
		"tcp://10.0.0.5:2376":            false,
		"tcp://docker.example.com:2376":  false,
		"ssh://ci@build-host":            false,
		"":                               false,
	} {
		if got := IsLocal(host); got != want {
			t.Errorf("IsLocal(%q) = %v, want %v", host, got, want)
		}
	}
}
