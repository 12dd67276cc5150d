package platform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Platform is a normalized target platform (linux/arm64 for linux/arm64/v8,
// linux/arm/v7 for linux/arm). It is parsed once, where it enters the
// program (the spec, a flag, a file), and compared as a value from then on;
// being comparable, it keys maps.
type Platform struct {
	OS, Architecture, Variant string
}

// Parse reads an os/arch[/variant] string, the one parse of a platform
// string bricklayer makes. Unknown operating systems and architectures are
// errors: containerd's parser accepts any word.
func Parse(s string) (Platform, error) {
	if strings.Count(s, "/") == 0 {
		return Platform{}, fmt.Errorf("invalid platform %q: want os/arch[/variant], e.g. linux/arm64", s)
	}
	p, err := platforms.Parse(s)
	if err != nil {
		return Platform{}, fmt.Errorf("invalid platform %q: %v", s, withoutCause(err))
	}
	p = platforms.Normalize(p)
	if !slices.Contains(knownOS, p.OS) {
		return Platform{}, fmt.Errorf("invalid platform %q: unknown operating system %q", s, p.OS)
	}
	if !slices.Contains(knownArch, p.Architecture) {
		return Platform{}, fmt.Errorf("invalid platform %q: unknown architecture %q", s, p.Architecture)
	}
	if p.OS != "linux" {
		return Platform{}, fmt.Errorf("unsupported platform %q: bricklayer builds linux images only (its BuildKit workers run Linux containers)", s)
	}
	if p.Architecture == "wasm" {
		return Platform{}, fmt.Errorf("unsupported platform %q: no Linux container runs on wasm", s)
	}
	if v, ok := variants[p.Architecture]; !slices.Contains(v, p.Variant) && (ok || p.Variant != "") {
		want := "no variant"
		if ok {
			want = "variant " + strings.Join(v[1:], ", ") + " or none"
			if p.Architecture == "arm" {
				want = "variant " + strings.Join(v, ", ")
			}
		}
		return Platform{}, fmt.Errorf("unsupported platform %q: %s takes %s", s, p.Architecture, want)
	}
	return Of(p), nil
}

// knownOS and knownArch are Go's GOOS and GOARCH values, the names OCI
// image platforms use; containerd's parser accepts any word.
var (
	knownOS = []string{"aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios",
		"js", "linux", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows"}
	knownArch = []string{"386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le",
		"mipsle", "ppc64", "ppc64le", "riscv64", "s390x", "wasm"}
)

// variants are the variants, after normalization, that BuildKit and QEMU
// run for an architecture ("" is none); other architectures take none.
// linux/arm64/v8 is linux/arm64, linux/amd64/v1 is linux/amd64, and
// linux/arm is linux/arm/v7.
var variants = map[string][]string{
	"amd64": {"", "v2", "v3", "v4"},
	"arm":   {"v5", "v6", "v7", "v8"},
}

// withoutCause drops the last ": cause" of containerd's message, which
// repeats its sentinel error's text after the part that names the problem.
func withoutCause(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[:i]
	}
	return msg
}

// ParseList reads a list of platforms, each item of list possibly a
// comma-separated list itself (as --platform a,b).
func ParseList(list []string) ([]Platform, error) {
	var out []Platform
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			p, err := Parse(strings.TrimSpace(s))
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// Of is the normalized form of a platform read as a structure (from a
// daemon's workers, or a registry's index): no string parse.
func Of(p ocispecs.Platform) Platform {
	p = platforms.Normalize(p)
	return Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
}

// OCI is the platform as OCI image specs write it.
func (p Platform) OCI() ocispecs.Platform {
	return ocispecs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
}

// String is os/arch[/variant].
func (p Platform) String() string {
	if p.Variant == "" {
		return p.OS + "/" + p.Architecture
	}
	return p.OS + "/" + p.Architecture + "/" + p.Variant
}

// Slug is the platform for file and tag names: linux-arm-v7.
func (p Platform) Slug() string { return strings.ReplaceAll(p.String(), "/", "-") }

// MarshalText writes the platform as os/arch[/variant], so JSON documents
// (plan, metadata) carry it as a string.
func (p Platform) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses a platform read back from a document bricklayer
// wrote, with the same checks as Parse.
func (p *Platform) UnmarshalText(b []byte) error {
	q, err := Parse(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// Join is "a, b, c".
func Join(ps []Platform) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
