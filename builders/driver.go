package builders

import (
	"context"
	"fmt"
	"strings"
)

// The drivers of builder bootstrap: how it runs BuildKit.
const (
	// DriverAuto uses a daemon that answers at the address, else runs one
	// in Docker when Docker answers, else starts a local buildkitd.
	DriverAuto = "auto"
	// DriverDockerContainer runs BuildKit in a Docker container.
	DriverDockerContainer = "docker-container"
	// DriverLocal starts a buildkitd binary on this host (unix socket).
	DriverLocal = "local"
	// driverRunning is auto's choice when a daemon already answers.
	driverRunning = "running"
)

// Drivers are the values --driver takes.
var Drivers = []string{DriverAuto, DriverDockerContainer, DriverLocal}

// Choice is the driver bootstrap uses, the address of its daemon, and why
// (what auto found).
type Choice struct {
	Driver string
	Addr   string
	// Name is the container of the docker-container driver.
	Name string
	Why  string
}

// Running tells that a daemon already answers at Addr: nothing to start.
func (c Choice) Running() bool { return c.Driver == driverRunning }

// Probes are how ChooseDriver looks at the host; tests pass fakes.
type Probes struct {
	// Answers tells whether a BuildKit daemon answers at addr.
	Answers func(ctx context.Context, addr string) bool
	// Docker tells whether a Docker daemon answers, and where it is.
	Docker func(ctx context.Context) (host string, ok bool)
}

// ChooseDriver picks the driver of builder bootstrap. flagAddr and
// envAddr are --addr and $BUILDKIT_HOST (either may be empty); name is the
// container of the docker-container driver, and nameGiven whether the
// user named it.
func ChooseDriver(ctx context.Context, driver, flagAddr, envAddr, name string, nameGiven bool, p Probes) (Choice, error) {
	addr, given := flagAddr, flagAddr != ""
	if driver == DriverDockerContainer && !given && strings.HasPrefix(envAddr, "docker-container://") {
		addr, given = envAddr, true
	} else if driver != DriverDockerContainer && !given && envAddr != "" {
		addr, given = envAddr, true
	}
	if addr == "" {
		addr = DefaultAddr
	}
	cname, isContainer := strings.CutPrefix(addr, "docker-container://")
	if isContainer {
		// The address names the container.
		if nameGiven && name != cname {
			return Choice{}, &AddrError{Addr: addr, msg: fmt.Sprintf("--name %s and address %s name different containers", name, addr)}
		}
		name = cname
	}
	container := Choice{Driver: DriverDockerContainer, Addr: "docker-container://" + name, Name: name}
	switch driver {
	case DriverDockerContainer:
		if given && !isContainer {
			return Choice{}, &AddrError{Addr: addr, msg: fmt.Sprintf("--driver docker-container runs BuildKit at docker-container://%s, not at %s", name, addr)}
		}
		container.Why = "--driver docker-container"
		return container, nil
	case DriverLocal:
		if isContainer {
			return Choice{}, &AddrError{Addr: addr, msg: fmt.Sprintf("--driver local starts buildkitd on a unix socket, not at %s", addr)}
		}
		return Choice{Driver: DriverLocal, Addr: addr, Why: "--driver local"}, nil
	case DriverAuto:
	default:
		return Choice{}, fmt.Errorf("unknown driver %q (want %s)", driver, strings.Join(Drivers, ", "))
	}
	if p.Answers(ctx, addr) {
		return Choice{Driver: driverRunning, Addr: addr, Name: container.Name, Why: "a BuildKit daemon answers at " + addr}, nil
	}
	if isContainer {
		container.Why = "the address is a Docker container"
		return container, nil
	}
	if given {
		// The user asked for this address: only a local daemon can
		// serve it.
		return Choice{Driver: DriverLocal, Addr: addr, Why: "no daemon answers at " + addr + ", the address asked for"}, nil
	}
	if host, ok := p.Docker(ctx); ok {
		container.Why = fmt.Sprintf("no daemon answers at %s, and Docker answers at %s", addr, host)
		return container, nil
	}
	return Choice{Driver: DriverLocal, Addr: addr, Why: fmt.Sprintf("no daemon answers at %s, and Docker does not answer", addr)}, nil
}

// Probe are the real probes: a BuildKit client, and the Docker Engine API.
func Probe(docker func() (host string, ok bool)) Probes {
	return Probes{
		Answers: func(ctx context.Context, addr string) bool {
			_, err := status(ctx, addr)
			return err == nil
		},
		Docker: func(context.Context) (string, bool) { return docker() },
	}
}
