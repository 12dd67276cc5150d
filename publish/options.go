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

// RemoteOptions are the options of go-containerregistry's requests:
// credentials from Keychain, Transport, ctx.
func (r Registry) RemoteOptions(ctx context.Context) []remote.Option { return r.remoteOpts(ctx) }
