package builders

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/bricklayer-build/bricklayer/engine"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/ref"
)

// DefaultContainerName names the container of the docker-container
// driver. The container is named exactly this, so docker-container://NAME
// reaches it.
const DefaultContainerName = "bricklayer"

// DefaultImage is the BuildKit image of the docker-container driver: the
// release bricklayer is built against.
func DefaultImage() string { return "moby/buildkit:" + BuildKitVersion }

// ownerLabel marks the containers and volumes bricklayer made; its value
// is the builder's name.
const ownerLabel = "org.bricklayer.builder"

// probeLabel marks a probe container (see Container.probe); its value is
// the builder's name, so builder stop finds one a killed bootstrap left.
const probeLabel = "org.bricklayer.probe"

// Container is a BuildKit daemon that runs in a Docker container (the
// docker-container driver), its state in a named volume so the cache
// survives restarts. Its address is docker-container://NAME.
type Container struct {
	// Name is the container's; default DefaultContainerName.
	Name string
	// Image default DefaultImage.
	Image string
	// Insecure lists registries it reaches over plain HTTP.
	Insecure []ref.Host
	// Platforms restricts what its worker builds; empty is everything.
	Platforms []platform.Platform
	// Notes receives what the user should know about how it was started.
	Notes io.Writer
	// Emulation is set up as a new container is made: the platforms
	// BuildKit's emulators in the image run are covered, QEMU on the host
	// is registered for the rest wanted, and the daemon's worker lists
	// them all, from its first start: a restart later would break the
	// builds of whoever shares it by then. A container that is there
	// already is left as it is.
	Emulation Emulate
	// Volumes: Stop removes the state volume (the cache) too.
	Volumes bool

	// remoteDocker is the Docker host when it is another machine, whose
	// kernel bootstrap cannot give QEMU.
	remoteDocker string
	// probing marks the short-lived container that learns what the
	// image's daemon runs: no state volume, no notes. probeOf names the
	// builder it probes for.
	probing bool
	probeOf string
}

func (c Container) name() string {
	if c.Name == "" {
		return DefaultContainerName
	}
	return c.Name
}

func (c Container) image() string {
	if c.Image == "" {
		return DefaultImage()
	}
	return c.Image
}

// Addr is where bricklayer reaches the daemon.
func (c Container) Addr() string { return "docker-container://" + c.name() }

// Volume is the named volume that holds /var/lib/buildkit.
func (c Container) Volume() string { return c.name() + "_state" }

func (c Container) note(format string, args ...any) {
	if !c.probing {
		notef(c.Notes, format, args...)
	}
}

// Describe names the container, its image and its state volume.
func (c Container) Describe() string {
	return fmt.Sprintf("container %s, image %s, state in volume %s", c.name(), c.image(), c.Volume())
}

// Inspect reaches the container's daemon.
func (c Container) Inspect(ctx context.Context, want []platform.Platform) NodeStatus {
	return inspectAt(ctx, c.Addr(), want)
}

// Bootstrap makes sure the container runs and its daemon answers (see
// ensure), with emulation set up for the platforms wanted. Started tells
// whether it did anything.
func (c Container) Bootstrap(ctx context.Context) (*Status, error) {
	want, err := c.Emulation.want(ctx)
	if err != nil {
		return nil, err // the spec's, as vet reports it
	}
	d, err := engine.New()
	if err != nil {
		return nil, &noDaemon{err: err}
	}
	defer d.Close()
	if !d.Local() {
		c.remoteDocker = d.Host()
	}
	st, made, err := c.ensure(ctx, d, want)
	if err != nil {
		return nil, &noDaemon{err: err}
	}
	if c.Emulation.Off || made {
		return st, nil
	}
	ems, err := c.Emulators(ctx, d)
	if err != nil {
		return nil, &noDaemon{err: err}
	}
	// The image's emulators run these whether the daemon lists them or
	// not: QEMU on the host is for the rest only.
	covered := Covered(ems)
	c.Emulation.register(want, covered, st.Platforms, c.remoteDocker, c.Notes)
	var unlisted []platform.Platform
	for _, p := range covered {
		if !slices.Contains(st.Platforms, p) {
			unlisted = append(unlisted, p)
		}
	}
	if len(unlisted) > 0 && len(c.Platforms) == 0 {
		// Restarting it would break the builds of whoever shares it.
		c.note("note: the container %s was made without listing %s, which its image's emulators run; builder stop, then bootstrap, to add them",
			c.Addr(), platform.Join(unlisted))
	}
	return st, nil
}

// ensure makes sure the container runs and its daemon answers: it reuses
// a running one, starts a stopped one, or creates it (pulling the image
// when Docker does not have it, and setting up emulation for want). made
// tells that it went to create it.
func (c Container) ensure(ctx context.Context, d *engine.Client, want []platform.Platform) (st *Status, made bool, err error) {
	if err := d.Ping(ctx); err != nil {
		return nil, false, err
	}
	info, err := d.API.ContainerInspect(ctx, c.name(), client.ContainerInspectOptions{})
	if err == nil && (info.Container.Config == nil || info.Container.Config.Labels[ownerLabel] == "") {
		// Running or not: someone else's container is not our daemon.
		return nil, false, fmt.Errorf("container %s exists and was not made by bricklayer; pick another --name", c.name())
	}
	switch {
	case err == nil && info.Container.State != nil && info.Container.State.Running:
		st, err := c.wait(ctx, d)
		return st, false, err
	case err == nil:
		if _, err := d.API.ContainerStart(ctx, c.name(), client.ContainerStartOptions{}); err != nil {
			return nil, false, fmt.Errorf("starting container %s: %w", c.name(), err)
		}
	case cerrdefs.IsNotFound(err):
		made = true
		if err := c.create(ctx, d, want); err != nil {
			if !cerrdefs.IsConflict(err) {
				return nil, made, err
			}
			// Another bootstrap made it meanwhile: use it.
			st, err := c.wait(ctx, d)
			return st, made, err
		}
	default:
		return nil, false, fmt.Errorf("inspecting container %s: %w", c.name(), err)
	}
	if st, err = c.wait(ctx, d); err != nil {
		return nil, made, err
	}
	st.Started = true
	return st, made, nil
}

// create pulls the image if needed, makes the volume and starts the
// container: privileged, or, where Docker cannot start a privileged
// container, with the host's capabilities.
func (c Container) create(ctx context.Context, d *engine.Client, want []platform.Platform) error {
	if err := c.pull(ctx, d); err != nil {
		return err
	}
	if !c.Emulation.Off {
		var err error
		if c.Platforms, err = c.emulate(ctx, d, want); err != nil {
			return err
		}
	}
	if _, err := d.API.VolumeCreate(ctx, client.VolumeCreateOptions{Name: c.Volume(), Labels: map[string]string{ownerLabel: c.name()}}); err != nil {
		return fmt.Errorf("creating volume %s: %w", c.Volume(), err)
	}
	return c.launch(ctx, d)
}

// launch starts the container: privileged, or, where Docker cannot start
// a privileged container, with the host's capabilities.
func (c Container) launch(ctx context.Context, d *engine.Client) error {
	hc := c.hostConfig()
	hc.Privileged = true
	privErr := c.run(ctx, d, hc)
	if privErr == nil || cerrdefs.IsConflict(privErr) {
		// A conflict is another bootstrap's container, not a refusal.
		return privErr
	}
	caps, err := hostCaps()
	if err != nil {
		return fmt.Errorf("%w; and the host's capabilities are unknown: %v", privErr, err)
	}
	c.note("Docker cannot start a privileged container here (%v); starting %s with the host's capabilities instead (%s), seccomp, apparmor and /proc unconfined, cgroups writable, host network",
		privErr, c.name(), strings.Join(caps, ", "))
	hc = c.hostConfig()
	hc.SecurityOpt = []string{"seccomp=unconfined", "apparmor=unconfined"}
	// Not nil: empty lists turn Docker's masked and read-only /proc
	// paths off, so the daemon can mount /proc in its steps.
	hc.MaskedPaths, hc.ReadonlyPaths = []string{}, []string{}
	// runc in the container makes the steps' cgroups.
	hc.Binds = append(hc.Binds, "/sys/fs/cgroup:/sys/fs/cgroup:rw")
	hc.CapAdd = caps
	if err := c.run(ctx, d, hc); err != nil {
		return fmt.Errorf("%w; privileged, it failed too: %v", err, privErr)
	}
	return nil
}

func (c Container) hostConfig() *container.HostConfig {
	hc := &container.HostConfig{
		// Registries on the host's loopback are reachable, as from a
		// daemon on the host; the steps share this network.
		NetworkMode: "host",
	}
	if !c.probing {
		hc.Binds = []string{c.Volume() + ":/var/lib/buildkit"}
	}
	return hc
}

// unknownCap finds the capability in Docker's "unknown capability" error:
// Docker knows fewer capabilities than the kernel. Compiled on first use,
// not at the start of every command.
var unknownCap = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`unknown capability: "?(?:CAP_)?([A-Z_]+)"?`) })

// run creates and starts the container with hc, removing it again when it
// does not start.
func (c Container) run(ctx context.Context, d *engine.Client, hc *container.HostConfig) error {
	cfg := &container.Config{
		Image:  c.image(),
		Labels: map[string]string{ownerLabel: c.name()},
	}
	if c.probing {
		cfg.Labels[probeLabel] = c.probeOf
	}
	var created client.ContainerCreateResult
	var unknown []string
	for {
		var err error
		created, err = d.API.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: hc, Name: c.name()})
		if err == nil {
			break
		}
		m := unknownCap().FindStringSubmatch(err.Error())
		if m == nil || !slices.Contains(hc.CapAdd, m[1]) {
			return fmt.Errorf("creating container %s: %w", c.name(), err)
		}
		unknown = append(unknown, m[1])
		hc.CapAdd = slices.DeleteFunc(hc.CapAdd, func(s string) bool { return s == m[1] })
	}
	if len(unknown) > 0 {
		c.note("this Docker does not know the capabilities %s; left out", strings.Join(unknown, ", "))
	}
	if _, err := d.API.CopyToContainer(ctx, created.ID, client.CopyToContainerOptions{DestinationPath: "/", Content: c.configTar()}); err != nil {
		c.remove(ctx, d, created.ID)
		return fmt.Errorf("writing buildkitd.toml into %s: %w", c.name(), err)
	}
	if _, err := d.API.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		c.remove(ctx, d, created.ID)
		return fmt.Errorf("starting container %s: %w", c.name(), err)
	}
	return nil
}

func (c Container) remove(ctx context.Context, d *engine.Client, id string) {
	d.API.ContainerRemove(context.WithoutCancel(ctx), id, client.ContainerRemoveOptions{Force: true})
}

// pull fetches the image when Docker does not have it.
func (c Container) pull(ctx context.Context, d *engine.Client) error {
	if _, err := d.API.ImageInspect(ctx, c.image()); err == nil {
		return nil
	} else if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspecting image %s: %w", c.image(), err)
	}
	c.note("pulling %s", c.image())
	resp, err := d.API.ImagePull(ctx, c.image(), client.ImagePullOptions{})
	if err != nil {
		return fmt.Errorf("pulling %s: %w", c.image(), err)
	}
	if err := resp.Wait(ctx); err != nil {
		return fmt.Errorf("pulling %s: %w", c.image(), err)
	}
	return nil
}

// configTar is /etc/buildkit/buildkitd.toml, the daemon's config, as the
// tar CopyToContainer takes.
func (c Container) configTar() io.Reader {
	var b strings.Builder
	b.WriteString("[worker.oci]\n  # Steps share the container's network: the host's.\n  networkMode = \"host\"\n  gc = true\n")
	restrictPlatforms(&b, c.Platforms)
	b.WriteString("\n[worker.containerd]\n  enabled = false\n")
	insecureRegistries(&b, c.Insecure)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "etc/buildkit/", Mode: 0o755})
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "etc/buildkit/buildkitd.toml", Mode: 0o644, Size: int64(b.Len())})
	tw.Write([]byte(b.String()))
	tw.Close()
	return &buf
}

// wait polls the daemon until it answers, failing early with the
// container's last log lines when the container stops.
func (c Container) wait(ctx context.Context, d *engine.Client) (*Status, error) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := status(ctx, c.Addr())
		if err == nil {
			return st, nil
		}
		info, ierr := d.API.ContainerInspect(ctx, c.name(), client.ContainerInspectOptions{})
		// Created or being removed is another bootstrap at work (its
		// privileged attempt failing, say): only an ended one is final.
		if ierr == nil && info.Container.State != nil && (info.Container.State.Status == "exited" || info.Container.State.Status == "dead") {
			return nil, fmt.Errorf("container %s stopped (%s, exit code %d); its last lines:\n%s",
				c.name(), info.Container.State.Status, info.Container.State.ExitCode, c.logs(ctx, d))
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("BuildKit in container %s did not answer within 60s (%v); its last lines:\n%s", c.name(), err, c.logs(ctx, d))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (c Container) logs(ctx context.Context, d *engine.Client) string {
	r, err := d.API.ContainerLogs(ctx, c.name(), client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "15"})
	if err != nil {
		return fmt.Sprintf("(no logs: %v)", err)
	}
	defer r.Close()
	var out bytes.Buffer
	stdcopy.StdCopy(&out, &out, io.LimitReader(r, 1<<20))
	return strings.TrimRight(out.String(), "\n")
}
