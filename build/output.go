package build

import (
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Output is where built images go besides the BuildKit cache.
type Output struct {
	// Type is "oci" (an OCI layout) or "" (none).
	Type string
	// Dest is the tar file, or the directory with Tar false. With several
	// images, Dest is a directory holding one layout per image.
	Dest string
	Tar  bool
}

// ParseOutput reads --output in BuildKit's syntax:
// type=oci,dest=FILE.tar or type=oci,dest=DIR,tar=false.
func ParseOutput(s string) (Output, error) {
	o := Output{Tar: true}
	fields, err := csv.NewReader(strings.NewReader(s)).Read()
	if err != nil {
		return o, fmt.Errorf("--output %q: %w", s, err)
	}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return o, fmt.Errorf("--output %q: %q is not key=value", s, f)
		}
		switch k {
		case "type":
			o.Type = v
		case "dest":
			o.Dest = v
		case "tar":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return o, fmt.Errorf("--output %q: tar=%q: want true or false", s, v)
			}
			o.Tar = b
		default:
			return o, fmt.Errorf("--output %q: unknown key %q (want type, dest, tar)", s, k)
		}
	}
	if o.Type != "oci" {
		return o, fmt.Errorf("--output %q: type must be oci (use --push for a registry)", s)
	}
	if o.Dest == "" {
		return o, fmt.Errorf("--output %q: dest is required", s)
	}
	return o, nil
}

// destFor is the layout of one image: Dest itself for a single image, or
// Dest/NAME(.tar) for several.
func (o Output) destFor(image string, several bool) string {
	if !several {
		return o.Dest
	}
	if o.Tar {
		return filepath.Join(o.Dest, image+".tar")
	}
	return filepath.Join(o.Dest, image)
}
