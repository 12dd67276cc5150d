package builders

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/bricklayer-build/bricklayer/platform"
)

// Emulate is how bootstrap sets up the platforms the daemon's host does
// not run: QEMU registered with this machine's binfmt_misc, and a new
// container's worker listing what its image's emulators run.
type Emulate struct {
	// Off sets up nothing (--emulation=off): no handler is registered,
	// and a new container lists only what its daemon detects.
	Off bool
	// Want returns the platforms to emulate (--platform, else the
	// spec's); nil wants none. Bootstrap calls it first, and returns its
	// error as it is.
	Want func(context.Context) ([]platform.Platform, error)
	// Host is this machine's binfmt_misc; the zero value is the real one.
	Host Emulation
}

// want is the platforms to emulate, none when emulation is off.
func (o Emulate) want(ctx context.Context) ([]platform.Platform, error) {
	if o.Off || o.Want == nil {
		return nil, nil
	}
	return o.Want(ctx)
}

// register registers QEMU with binfmt_misc for the platforms of want the
// host runs neither natively nor through covered (BuildKit's emulators in
// a container's image), telling notes what it did or what is missing. With
// Docker on another machine (remoteDocker), whose kernel this one cannot
// give QEMU, it registers nothing and says what the daemon will not build
// (detected are the platforms that daemon runs by itself). It returns the
// platforms it registered; what it cannot register is a warning, not an
// error.
func (o Emulate) register(want, covered, detected []platform.Platform, remoteDocker string, notes io.Writer) []platform.Platform {
	if remoteDocker != "" {
		var left []platform.Platform
		for _, p := range want {
			if !slices.Contains(covered, p) && !slices.Contains(detected, p) {
				left = append(left, p)
			}
		}
		if len(left) > 0 {
			notef(notes, "warning: the daemon will not build %s: Docker at %s is another machine, whose kernel bricklayer cannot give QEMU; register it there (apt-get install qemu-user-static binfmt-support), then builder stop and bootstrap",
				platform.Join(left), remoteDocker)
		}
		return nil
	}
	e := o.Host
	var inImage []platform.Platform
	want = slices.DeleteFunc(slices.Clone(want), func(p platform.Platform) bool {
		if !slices.Contains(covered, p) {
			return false
		}
		if slices.Contains(e.Missing([]platform.Platform{p}), p) {
			inImage = append(inImage, p)
		}
		return true
	})
	if len(inImage) > 0 {
		notef(notes, "%s: emulated by BuildKit's own QEMU in the builder's image (no binfmt_misc needed)", platform.Join(inImage))
	}
	noF := e.lacksFixBinary(want)
	registered, err := e.Ensure(want)
	var said []string
	for _, p := range registered {
		h := Handler(p)
		switch {
		case slices.Contains(said, h):
		case slices.Contains(noF, p):
			notef(notes, "registered QEMU handler %s with binfmt_misc anew, with the F flag: it was registered without, and containers could not run its binaries", h)
		default:
			notef(notes, "registered QEMU handler %s with binfmt_misc", h)
		}
		said = append(said, h)
	}
	if err != nil {
		notef(notes, "warning: the daemon will not build some platforms: %v", err)
	}
	return registered
}

// notef tells the user something, on a line of its own.
func notef(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "bricklayer: "+format+"\n", args...)
	}
}
