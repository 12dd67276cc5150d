package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/platform"
)

// Client is a Docker Engine client configured from the environment
// (DOCKER_HOST, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY, DOCKER_API_VERSION).
// It negotiates the API version down to the daemon's on its first request,
// so daemons back to API 1.40 (Docker 19.03) answer.
type Client struct {
	API *client.Client
}

// New makes a client; it does not reach the daemon.
func New() (*Client, error) {
	c, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return &Client{API: c}, nil
}

// Close releases the client's connections.
func (c *Client) Close() error { return c.API.Close() }

// Host is the daemon's address, for messages.
func (c *Client) Host() string { return c.API.DaemonHost() }

// Local tells whether the daemon runs on this machine: a unix socket or
// a named pipe, or tcp:// on a loopback address. ssh:// and other hosts
// are another machine, whose kernel this one cannot configure.
func (c *Client) Local() bool { return IsLocal(c.Host()) }

// IsLocal is Local for a Docker host address.
func IsLocal(host string) bool {
	scheme, rest, ok := strings.Cut(host, "://")
	if !ok {
		return false
	}
	switch scheme {
	case "unix", "npipe":
		return true
	case "tcp", "http", "https":
		h, _, err := net.SplitHostPort(rest)
		if err != nil {
			h = rest
		}
		if h == "localhost" {
			return true
		}
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// NotAnsweringError says the Docker daemon did not answer.
type NotAnsweringError struct {
	Host string
	Err  error
}

func (e *NotAnsweringError) Error() string {
	return fmt.Sprintf("Docker does not answer at %s: %v", e.Host, e.Err)
}

// Kind makes a silent Docker a daemon that did not answer.
func (e *NotAnsweringError) Kind() errkind.Kind { return errkind.NoDaemon }

func (e *NotAnsweringError) Unwrap() error { return e.Err }

// Ping checks, within a few seconds, that the daemon answers.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.API.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return &NotAnsweringError{Host: c.Host(), Err: err}
	}
	return nil
}

// Platform is the platform of the daemon's host, as its info tells it
// (x86_64 is linux/amd64, armv7l linux/arm/v7).
func (c *Client) Platform(ctx context.Context) (platform.Platform, error) {
	info, err := c.API.Info(ctx, client.InfoOptions{})
	if err != nil {
		return platform.Platform{}, &NotAnsweringError{Host: c.Host(), Err: err}
	}
	return hostPlatform(info.Info.OSType, info.Info.Architecture), nil
}

func hostPlatform(osType, arch string) platform.Platform {
	if osType == "" {
		osType = "linux"
	}
	// platform.Of normalizes x86_64 to amd64 and aarch64 to arm64; the
	// kernel's 32-bit names (a Raspberry Pi OS says armv7l) are read here.
	variant := ""
	switch {
	case len(arch) > 4 && strings.HasPrefix(arch, "armv") && arch[4] >= '5' && arch[4] <= '8':
		arch, variant = "arm", "v"+arch[4:5]
	case arch == "i486" || arch == "i586" || arch == "i686":
		arch = "386"
	}
	return platform.Of(ocispec.Platform{OS: osType, Architecture: arch, Variant: variant})
}

// Load reads a Docker image tarball (docker save's format) from r into the
// daemon, what docker load does, and returns what the daemon reported
// loading ("Loaded image: REF" or "Loaded image ID: ID").
func (c *Client) Load(ctx context.Context, r io.Reader) ([]string, error) {
	res, err := c.API.ImageLoad(ctx, r, client.ImageLoadWithQuiet(true))
	if err != nil {
		return nil, fmt.Errorf("docker load: %w", err)
	}
	defer res.Close()
	var loaded []string
	dec := json.NewDecoder(res)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return loaded, nil
		} else if err != nil {
			return loaded, fmt.Errorf("docker load: reading its answer: %w", err)
		}
		if m.Error != nil {
			return loaded, fmt.Errorf("docker load: %s", m.Error.Message)
		}
		if s := strings.TrimSpace(m.Stream); s != "" {
			loaded = append(loaded, s)
		}
	}
}
