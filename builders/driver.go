package builders

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/bricklayer-build/bricklayer/engine"
	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/ref"
)

// Driver runs one BuildKit daemon for builder bootstrap, inspect and
// stop. Daemon (a buildkitd on this host, or a daemon at an address) and
// Container (BuildKit in a Docker container) are its implementations;
// NewDriver and StopDriver pick one from Options.
type Driver interface {
	// Bootstrap makes sure the daemon answers: it sets up emulation for
	// the platforms wanted, starts the daemon when none answers, and
	// reports it.
	Bootstrap(ctx context.Context) (*Status, error)
	// Inspect reaches the daemon, starting nothing, and tells what it
	// builds and which of want it takes.
	Inspect(ctx context.Context, want []platform.Platform) NodeStatus
	// Stop ends what Bootstrap started and says what it ended.
	Stop(ctx context.Context) (string, error)
	// Describe says where a daemon it started runs and keeps its state.
	Describe() string
}

var (
	_ Driver = Daemon{}
	_ Driver = Container{}
)

// DriverName is a value of --driver: how bootstrap runs BuildKit.
type DriverName string

// The drivers of builder bootstrap.
const (
	// DriverAuto uses a daemon that answers at the address, else runs one
	// in Docker when Docker answers, else starts a local buildkitd.
	DriverAuto DriverName = "auto"
	// DriverDockerContainer runs BuildKit in a Docker container.
	DriverDockerContainer DriverName = "docker-container"
	// DriverLocal starts a buildkitd binary on this host (unix socket).
	DriverLocal DriverName = "local"
)

// Drivers are the values --driver takes.
var Drivers = []DriverName{DriverAuto, DriverDockerContainer, DriverLocal}

// DriverNameError is a --driver value that names no driver: a bad
// command line.
type DriverNameError struct{ Name string }

func (e *DriverNameError) Error() string {
	names := make([]string, len(Drivers))
	for i, d := range Drivers {
		names[i] = string(d)
	}
	return fmt.Sprintf("--driver %q: want %s", e.Name, strings.Join(names, ", "))
}

// Kind makes an unknown driver a bad command line.
func (e *DriverNameError) Kind() errkind.Kind { return errkind.Usage }

// ParseDriver reads a --driver value.
func ParseDriver(s string) (DriverName, error) {
	for _, d := range Drivers {
		if string(d) == s {
			return d, nil
		}
	}
	return "", &DriverNameError{Name: s}
}

// Options are builder's flags, parsed: what picks a driver and what the
// driver it picks is given.
type Options struct {
	Driver DriverName
	// Addr is --addr and EnvAddr $BUILDKIT_HOST; either may be empty.
	Addr, EnvAddr string
	// Name is docker-container's container (empty: DefaultContainerName);
	// NameGiven tells that the user named it (--name).
	Name      string
	NameGiven bool
	// Image is docker-container's BuildKit image (empty: DefaultImage).
	Image string
	// State and Binary are the local daemon's (see Daemon).
	State, Binary string
	// Insecure lists registries the daemon reaches over plain HTTP.
	Insecure []ref.Host
	// Platforms restricts what the daemon's worker builds.
	Platforms []platform.Platform
	// Emulation is how bootstrap sets up foreign platforms.
	Emulation Emulate
	// Volumes: stopping a container removes its state volume too.
	Volumes bool
	// Notes receives what the user should know as bootstrap goes.
	Notes io.Writer
	// Probes are how auto looks at the host; the zero value looks.
	Probes Probes
}

func (o Options) name() string {
	if o.Name == "" {
		return DefaultContainerName
	}
	return o.Name
}

func (o Options) daemon(addr string) Daemon {
	return Daemon{Addr: addr, State: o.State, Binary: o.Binary, Insecure: o.Insecure, Platforms: o.Platforms, Emulation: o.Emulation, Notes: o.Notes}
}

func (o Options) container(name string) Container {
	return Container{Name: name, Image: o.Image, Insecure: o.Insecure, Platforms: o.Platforms, Emulation: o.Emulation, Volumes: o.Volumes, Notes: o.Notes}
}

// Choice is the driver NewDriver picked and, when auto picked it, why.
type Choice struct {
	Driver Driver
	// Why is what auto found and what it took ("a BuildKit daemon answers
	// at ADDR: using it"); empty when --driver named the driver.
	Why string
}

// Probes are how NewDriver's auto looks at the host; tests pass fakes.
type Probes struct {
	// Answers tells whether a BuildKit daemon answers at addr.
	Answers func(ctx context.Context, addr string) bool
	// Docker tells whether a Docker daemon answers, and where it is.
	Docker func(ctx context.Context) (host string, ok bool)
}

func (p Probes) answers(ctx context.Context, addr string) bool {
	if p.Answers == nil {
		_, err := status(ctx, addr)
		return err == nil
	}
	return p.Answers(ctx, addr)
}

func (p Probes) docker(ctx context.Context) (string, bool) {
	if p.Docker == nil {
		d, err := engine.New()
		if err != nil {
			return "", false
		}
		defer d.Close()
		return d.Host(), d.Ping(ctx) == nil
	}
	return p.Docker(ctx)
}

// NewDriver picks the driver builder bootstrap runs BuildKit with. An
// address (Addr, else EnvAddr) of docker-container://NAME names the
// container; docker-container ignores an EnvAddr of another scheme. auto
// takes a daemon that answers at the address (a Daemon, which then only
// reports it), else the container the address names, else a local daemon
// at an address asked for, else a container when Docker answers, else a
// local daemon. Flags that contradict each other are an AddrError.
func NewDriver(ctx context.Context, o Options) (Choice, error) {
	if _, err := ParseDriver(string(o.Driver)); err != nil {
		return Choice{}, err
	}
	addr, given := o.Addr, o.Addr != ""
	if o.Driver == DriverDockerContainer && !given && strings.HasPrefix(o.EnvAddr, "docker-container://") {
		addr, given = o.EnvAddr, true
	} else if o.Driver != DriverDockerContainer && !given && o.EnvAddr != "" {
		addr, given = o.EnvAddr, true
	}
	if addr == "" {
		addr = DefaultAddr
	}
	name := o.name()
	cname, isContainer := strings.CutPrefix(addr, "docker-container://")
	if isContainer {
		if o.NameGiven && name != cname {
			return Choice{}, &AddrError{Addr: addr, msg: fmt.Sprintf("--name %s and address %s name different containers", name, addr)}
		}
		name = cname
	}
	switch o.Driver {
	case DriverDockerContainer:
		if given && !isContainer {
			return Choice{}, &AddrError{Addr: addr, msg: fmt.Sprintf("--driver docker-container runs BuildKit at docker-container://%s, not at %s", name, addr)}
		}
		return Choice{Driver: o.container(name)}, nil
	case DriverLocal:
		if isContainer {
			return Choice{}, &AddrError{Addr: addr, msg: fmt.Sprintf("--driver local starts buildkitd on a unix socket, not at %s", addr)}
		}
		return Choice{Driver: o.daemon(addr)}, nil
	}
	local := "driver " + string(DriverLocal)
	container := "driver " + string(DriverDockerContainer)
	switch {
	case o.Probes.answers(ctx, addr):
		return Choice{Driver: o.daemon(addr), Why: "a BuildKit daemon answers at " + addr + ": using it"}, nil
	case isContainer:
		return Choice{Driver: o.container(name), Why: "the address is a Docker container: " + container}, nil
	case given:
		// The user asked for this address: only a local daemon can
		// serve it.
		return Choice{Driver: o.daemon(addr), Why: "no daemon answers at " + addr + ", the address asked for: " + local}, nil
	}
	if host, ok := o.Probes.docker(ctx); ok {
		return Choice{Driver: o.container(name), Why: fmt.Sprintf("no daemon answers at %s, and Docker answers at %s: %s", addr, host, container)}, nil
	}
	return Choice{Driver: o.daemon(addr), Why: fmt.Sprintf("no daemon answers at %s, and Docker does not answer: %s", addr, local)}, nil
}

// StopDriver picks the driver builder stop ends, reaching nothing: the
// container an address (Addr, else EnvAddr) of docker-container://NAME
// names, unless the driver is local; with docker-container, the container
// Name; else the local daemon of State, whatever the address.
func StopDriver(o Options) (Driver, error) {
	if _, err := ParseDriver(string(o.Driver)); err != nil {
		return nil, err
	}
	addr := o.Addr
	if addr == "" {
		addr = o.EnvAddr
	}
	if addr == "" {
		addr = DefaultAddr
	}
	name := o.name()
	if n, ok := strings.CutPrefix(addr, "docker-container://"); ok && o.Driver != DriverLocal {
		if o.NameGiven && n != name {
			return nil, &AddrError{Addr: addr, msg: fmt.Sprintf("--name %s and address %s name different containers", name, addr)}
		}
		name = n
	} else if o.Driver != DriverDockerContainer {
		return o.daemon(addr), nil
	}
	return o.container(name), nil
}

// noDaemon is a daemon bootstrap could not start or reach, or a Docker
// it could not talk to: its message is err's.
type noDaemon struct{ err error }

func (e *noDaemon) Error() string      { return e.err.Error() }
func (e *noDaemon) Kind() errkind.Kind { return errkind.NoDaemon }
func (e *noDaemon) Unwrap() error      { return e.err }
