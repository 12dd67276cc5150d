package buildopt

import (
	"errors"
	"fmt"
	"strings"
)

// Provenance is the SLSA provenance BuildKit attests each platform's
// image with. The zero value attaches none.
type Provenance struct {
	// Mode is BuildKit's "min" (the build's request and sources) or
	// "max" (also the LLB and each step); "" attaches nothing.
	Mode string
	// Version is the SLSA version of the predicate, "v1" or "v0.2"; ""
	// is BuildKit's default (v1).
	Version string
}

// ParseProvenance reads --provenance as buildx does: true (mode=min),
// false (none), or mode=min|max[,version=v1|v0.2].
func ParseProvenance(s string) (Provenance, error) {
	// true and false only: ParseBool's 1, t and F would read as typos.
	switch s {
	case "true":
		return Provenance{Mode: "min"}, nil
	case "false":
		return Provenance{}, nil
	}
	if !strings.Contains(s, "=") {
		return Provenance{}, errors.New("want true, false or mode=min|max[,version=v1|v0.2]")
	}
	fs, err := fields(s)
	if err != nil {
		return Provenance{}, err
	}
	p := Provenance{Mode: "min"}
	for _, f := range fs {
		switch k, v := f[0], f[1]; k {
		case "mode":
			if v != "min" && v != "max" {
				return Provenance{}, fmt.Errorf("mode=%q: want min or max", v)
			}
			p.Mode = v
		case "version":
			if v != "v1" && v != "v0.2" {
				return Provenance{}, fmt.Errorf("version=%q: want v1 or v0.2", v)
			}
			p.Version = v
		default:
			return Provenance{}, fmt.Errorf("unknown key %q (want mode, version)", k)
		}
	}
	return p, nil
}

// Enabled tells whether any provenance is attached.
func (p Provenance) Enabled() bool { return p.Mode != "" }

// Attr is the value of BuildKit's attest:provenance frontend attribute,
// "" for none. The mode is always explicit: BuildKit's own default is
// max, buildx's min.
func (p Provenance) Attr() string {
	if !p.Enabled() {
		return ""
	}
	a := "mode=" + p.Mode
	if p.Version != "" {
		a += ",version=" + p.Version
	}
	return a
}

// DefaultProvenance is what a build attaches without --provenance: as
// buildx and build-push-action, mode=min for images pushed or written
// (exported), and none for an image loaded into Docker, whose exporter
// carries no attestation. None with an epoch either: BuildKit's provenance
// records when the build started and finished and a random invocation ID,
// so an index holding it could never be the same twice, and reproducible
// means the whole index.
func DefaultProvenance(exported, load, epoch bool) Provenance {
	if !exported || load || epoch {
		return Provenance{}
	}
	return Provenance{Mode: "min"}
}
