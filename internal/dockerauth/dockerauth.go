package dockerauth

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-containerregistry/pkg/authn"

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
	return LoadFile(filepath.Join(config.Dir(), config.ConfigFileName))
}

// LoadFile is Load for the config file at path. (docker's config.Dir
// reads $DOCKER_CONFIG once per process; tests name their files.)
func LoadFile(path string) (*configfile.ConfigFile, error) {
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

// Keychain gives go-containerregistry the credentials cf holds for a
// registry, found as docker finds them: by registry host (with its port),
// never by repository. BuildKit's auth provider asks cf the same way for
// the daemon's pulls and pushes, so a build's pushes by digest and the
// index pushed after them go with the same credentials.
func Keychain(cf *configfile.ConfigFile) authn.Keychain { return keychain{cf} }

type keychain struct{ cf *configfile.ConfigFile }

// Resolve leaves the lookup to docker's configfile: it files Docker Hub
// (index.docker.io, docker.io) under https://index.docker.io/v1/, asks the
// host's credHelpers entry or else the credsStore helper, and otherwise
// reads auths, whose keys may be URLs or carry a path. No credentials
// there is anonymous access.
func (k keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	host := target.RegistryStr()
	ac, err := k.cf.GetAuthConfig(host)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", host, err)
	}
	creds := authn.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	}
	if creds == (authn.AuthConfig{}) {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(creds), nil
}
