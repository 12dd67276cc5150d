package buildopt

import (
	"fmt"

	"github.com/distribution/reference"
)

// DefaultScanner is the SBOM generator BuildKit and buildx use when none
// is named: Docker's Syft scanner.
const DefaultScanner = "docker/buildkit-syft-scanner:stable-1"

// SBOM is the SPDX software bill of materials attached to each platform's
// image. The zero value attaches none.
type SBOM struct {
	// Generator is the scanner image BuildKit runs over the image's root
	// filesystem (BuildKit's scanner protocol: BUILDKIT_SCAN_SOURCE in,
	// in-toto SPDX statements out in BUILDKIT_SCAN_DESTINATION); ""
	// attaches nothing.
	Generator string
}

// ParseSBOM reads --sbom as buildx does: true (the default scanner),
// false (none), or generator=IMAGE.
func ParseSBOM(s string) (SBOM, error) {
	switch s {
	case "true":
		return SBOM{Generator: DefaultScanner}, nil
	case "false":
		return SBOM{}, nil
	}
	fs, err := fields(s)
	if err != nil {
		return SBOM{}, err
	}
	out := SBOM{Generator: DefaultScanner}
	for _, f := range fs {
		switch k, v := f[0], f[1]; k {
		case "generator":
			if _, err := reference.ParseNormalizedNamed(v); err != nil {
				return SBOM{}, fmt.Errorf("generator=%q: %w", v, err)
			}
			out.Generator = v
		default:
			return SBOM{}, fmt.Errorf("unknown key %q (want generator)", k)
		}
	}
	return out, nil
}

// Enabled tells whether an SBOM is attached.
func (s SBOM) Enabled() bool { return s.Generator != "" }
