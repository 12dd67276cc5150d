package publish

import (
	"context"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// conns are the registry connections every request of one Registry
// shares: go-containerregistry's remote.Get, remote.Write and friends
// each ping the registry and exchange a token anew, which made a build of
// 20 images send 200 pings; a Puller and a Pusher do it once per
// repository and refresh a token the registry stops taking.
type conns struct {
	pull *remote.Puller
	push *remote.Pusher
	err  error

	// indexes are the indexes pushed through these connections: MoveTags
	// moves tags to them without reading back what it has just sent.
	indexes memo[*remote.Descriptor]
	// images are the image manifests read from, or copied to, a
	// repository through these connections: Copy copies what PushIndex
	// has just read, and PushIndex makes a mirror's index of what Copy
	// has just written there, without reading each manifest again (on
	// Docker Hub, each read of a manifest counts as a pull).
	images memo[knownImage]
}

// knownImage is an image manifest known to be in a repository.
type knownImage struct {
	img v1.Image
	mt  types.MediaType
}

// memo is what a run knows to be in the registry, by name.Digest.Name()
// (a repository and a digest).
type memo[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

func (m *memo[T]) put(n name.Digest, v T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]T{}
	}
	m.m[n.Name()] = v
}

func (m *memo[T]) get(n name.Digest) (T, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[n.Name()]
	return v, ok
}

// Shared returns r with one set of connections for all its requests (and
// those of RemoteOptions), made with its Keychain and Transport as they
// are now, each registry pinged once (pingCache). A Registry made without
// it connects anew per request.
func (r Registry) Shared() Registry {
	next := r.Transport
	if next == nil {
		next = remote.DefaultTransport
	}
	r.Transport = newPingCache(next)
	c := &conns{}
	c.pull, c.push, c.err = r.open()
	r.conns = c
	return r
}

// authOpts are the options that say how to reach a registry: credentials
// from Keychain (the Docker config's when nil), Transport.
func (r Registry) authOpts() []remote.Option {
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithAuthFromKeychain(kc)}
	if r.Transport != nil {
		opts = append(opts, remote.WithTransport(r.Transport))
	}
	return opts
}

// open makes a puller and a pusher with r's credentials and transport.
func (r Registry) open() (*remote.Puller, *remote.Pusher, error) {
	pull, err := remote.NewPuller(r.authOpts()...)
	if err != nil {
		return nil, nil, err
	}
	push, err := remote.NewPusher(r.authOpts()...)
	return pull, push, err
}

// clients are the puller and pusher of r's requests: the shared ones, or
// new ones when r is not Shared.
func (r Registry) clients() (*remote.Puller, *remote.Pusher, error) {
	if r.conns == nil {
		return r.open()
	}
	return r.conns.pull, r.conns.push, r.conns.err
}

// remoteOpts are the options of one go-containerregistry call under ctx:
// through r's puller and pusher, so that the call neither pings nor
// authenticates again when r is Shared.
func (r Registry) remoteOpts(ctx context.Context) []remote.Option {
	pull, push, err := r.clients()
	if err != nil {
		// Not reachable with the options above; let the call report it.
		return append(r.authOpts(), remote.WithContext(ctx))
	}
	return []remote.Option{remote.WithContext(ctx), remote.Reuse(pull), remote.Reuse(push)}
}
