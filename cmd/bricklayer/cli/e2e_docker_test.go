package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/engine"
)

// buildkitImage is the BuildKit image hack/buildkit-image.sh pushes to the
// test registry: moby/buildkit cannot be pulled here.
func buildkitImage(registry string) string {
	return registry + "/bricklayer-test/buildkit:" + builders.BuildKitVersion
}

// dockerCondition is [docker]: Docker answers at $DOCKER_HOST and the
// BuildKit image is in the registry. Outside CI a script skips without
// them; in CI their absence fails it.
func dockerCondition(registry string) (bool, error) {
	err := dockerReady(registry)
	if err == nil {
		return true, nil
	}
	if os.Getenv("CI") != "" {
		return false, fmt.Errorf("%v (hack/up.sh starts dockerd and pushes the image)", err)
	}
	return false, nil
}

func dockerReady(registry string) error {
	if os.Getenv("DOCKER_HOST") == "" {
		return fmt.Errorf("DOCKER_HOST is not set")
	}
	d, err := engine.New()
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Ping(context.Background()); err != nil {
		return err
	}
	ref, err := name.ParseReference(buildkitImage(registry), name.Insecure)
	if err != nil {
		return err
	}
	if _, err := remote.Head(ref); err != nil {
		return fmt.Errorf("no BuildKit image %s: %w", ref, err)
	}
	return nil
}

// dockerSetup gives a script Docker and a builder name of its own
// ($BUILDER), and removes that builder's container and volume when the
// script ends, even when it fails half way.
func dockerSetup(env *testscript.Env, registry, run string) {
	env.Setenv("DOCKER_HOST", os.Getenv("DOCKER_HOST"))
	env.Setenv("BUILDKIT_IMAGE", buildkitImage(registry))
	builder := "bl-" + run
	env.Setenv("BUILDER", builder)
	env.Defer(func() {
		if os.Getenv("DOCKER_HOST") == "" {
			return
		}
		d, err := engine.New()
		if err != nil {
			return
		}
		defer d.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if d.Ping(ctx) == nil {
			_, _ = builders.Container{Name: builder, Volumes: true}.Stop(ctx)
		}
	})
}

// e2eCondition knows the end-to-end scripts' own conditions.
func e2eCondition(cond, registry string) (bool, error) {
	if cond == "docker" {
		return dockerCondition(registry)
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// dockerproxy VAR serves the Docker daemon of $DOCKER_HOST (a unix
// socket) on a non-loopback address of this machine and sets VAR to it,
// tcp://IP:PORT: Docker as seen from another machine, for the script's
// life.
func dockerProxy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: dockerproxy VAR")
	}
	sock, ok := strings.CutPrefix(ts.Getenv("DOCKER_HOST"), "unix://")
	if !ok {
		ts.Fatalf("dockerproxy: DOCKER_HOST %q is not a unix socket", ts.Getenv("DOCKER_HOST"))
	}
	var ip net.IP
	addrs, err := net.InterfaceAddrs()
	ts.Check(err)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			ip = n.IP
			break
		}
	}
	if ip == nil {
		ts.Fatalf("dockerproxy: no non-loopback IPv4 address to serve Docker on")
	}
	l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	ts.Check(err)
	ts.Defer(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				d, err := net.Dial("unix", sock)
				if err != nil {
					return
				}
				defer d.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(d, c); done <- struct{}{} }()
				go func() { io.Copy(c, d); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	ts.Setenv(args[0], "tcp://"+l.Addr().String())
}
