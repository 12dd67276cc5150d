package dockerauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// MaxConfigSize bounds the config file. Real ones are a few kilobytes.
const MaxConfigSize = 1 << 20

// Load reads $DOCKER_CONFIG/config.json (default ~/.docker/config.json)
// once, as a regular file of at most MaxConfigSize: docker's own loader
// opens whatever is there, and a FIFO would hang a build. A missing file
// is an empty config, as for docker. Any other problem gives an empty
// config too, and the error to warn with, which is how docker treats a
// config it cannot read.
func Load() (*configfile.ConfigFile, error) {
	path := filepath.Join(config.Dir(), config.ConfigFileName)
	empty := configfile.New(path)
	dt, err := safefile.Read(path, MaxConfigSize)
	if errors.Is(err, fs.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return empty, fmt.Errorf("Docker config %s: %w; going on without its credentials", path, err)
	}
	cf, err := config.LoadFromReader(bytes.NewReader(dt))
	if err != nil {
		return empty, fmt.Errorf("Docker config %s: %w; going on without its credentials", path, err)
	}
	cf.Filename = path
	return cf, nil
}

// Keychain gives go-containerregistry the credentials of cf, as its
// default keychain finds them (which reads the file again on every
// request, without limits).
func Keychain(cf *configfile.ConfigFile) authn.Keychain { return keychain{cf} }

type keychain struct{ cf *configfile.ConfigFile }

func (k keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), target)
}

// ResolveContext looks the registry up as go-containerregistry does: by
// the full resource, then the registry, Docker Hub under its legacy key.
func (k keychain) ResolveContext(_ context.Context, target authn.Resource) (authn.Authenticator, error) {
	var empty types.AuthConfig
	for _, key := range []string{target.String(), target.RegistryStr()} {
		if key == name.DefaultRegistry {
			key = authn.DefaultAuthKey
		}
		cfg, err := k.cf.GetAuthConfig(key)
		if err != nil {
			return nil, fmt.Errorf("credentials for %s: %w", key, err)
		}
		// GetAuthConfig fills in ServerAddress; it is not a credential.
		cfg.ServerAddress = ""
		if cfg != empty {
			return authn.FromConfig(authn.AuthConfig{
				Username:      cfg.Username,
				Password:      cfg.Password,
				Auth:          cfg.Auth,
				IdentityToken: cfg.IdentityToken,
				RegistryToken: cfg.RegistryToken,
			}), nil
		}
	}
	return authn.Anonymous, nil
}
