package publish

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// NameOptions are go-containerregistry's name options for repo (plain
// HTTP when its registry is one of Insecure), for packages that write
// beside what Registry pushes (signatures).
func (r Registry) NameOptions(repo string) []name.Option { return r.nameOpts(repo) }

// RemoteOptions are the options of go-containerregistry's requests
// under ctx: through r's connections (one set for every request when r is
// Shared), with credentials from Keychain and over Transport.
func (r Registry) RemoteOptions(ctx context.Context) []remote.Option { return r.remoteOpts(ctx) }
