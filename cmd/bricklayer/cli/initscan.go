package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// foundDockerfile is a Dockerfile init found, with what its FROM lines tell.
type foundDockerfile struct {
	file string // Dockerfile, Dockerfile.service, flasher.Dockerfile
	name string // the image name it suggests ("" for plain Dockerfile)
	// bases are the images the final stage is built from, through its
	// stages, args expanded with their defaults.
	bases []string
	// platforms are what those bases serve, when their names say so
	// (arm32v7/..., balenalib/raspberrypi3-...); nil when unknown.
	platforms []string
}

// dockerfiles finds the Dockerfiles of dir: Dockerfile, Dockerfile.NAME
// and NAME.Dockerfile, each one image.
func dockerfiles(dir string) []foundDockerfile {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []foundDockerfile
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		var name string
		switch {
		case n == "Dockerfile":
		case strings.HasPrefix(n, "Dockerfile."):
			name = strings.TrimPrefix(n, "Dockerfile.")
		case strings.HasSuffix(n, ".Dockerfile"):
			name = strings.TrimSuffix(n, ".Dockerfile")
		default:
			continue
		}
		if name == "dockerignore" || strings.HasSuffix(n, ".dockerignore") {
			continue
		}
		f := foundDockerfile{file: n, name: name}
		f.bases = baseImages(filepath.Join(dir, n))
		f.platforms = servedBy(f.bases)
		out = append(out, f)
	}
	// Plain Dockerfile first, then by name.
	slices.SortFunc(out, func(a, b foundDockerfile) int {
		if (a.name == "") != (b.name == "") {
			if a.name == "" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return out
}

// baseImages are the images the last stage of the Dockerfile builds on,
// following stage names, with ARG defaults expanded; nil when it cannot
// be read or parsed (vet will say why).
func baseImages(file string) []string {
	dt, err := safefile.Read(file, 1<<20)
	if err != nil {
		return nil
	}
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil || len(stages) == 0 {
		return nil
	}
	env := map[string]string{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				env[kv.Key] = *kv.Value
			}
		}
	}
	lex := shell.NewLex('\\')
	byName := map[string]int{}
	for i, st := range stages {
		if st.Name != "" {
			byName[strings.ToLower(st.Name)] = i
		}
	}
	var out []string
	seen := map[int]bool{}
	for i := len(stages) - 1; i >= 0 && !seen[i]; {
		seen[i] = true
		base := stages[i].BaseName
		if r, err := lex.ProcessWordWithMatches(base, shell.EnvsFromSlice(envList(env))); err == nil {
			base = r.Result
		}
		if j, ok := byName[strings.ToLower(base)]; ok {
			i = j
			continue
		}
		if base != "scratch" && !slices.Contains(out, base) {
			out = append(out, base)
		}
		break
	}
	return out
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// archPrefixes are Docker Official Images' per-architecture namespaces
// and the platform each serves.
var archPrefixes = map[string]string{
	"amd64": "linux/amd64", "arm32v5": "linux/arm/v5", "arm32v6": "linux/arm/v6",
	"arm32v7": "linux/arm/v7", "arm64v8": "linux/arm64", "i386": "linux/386",
	"ppc64le": "linux/ppc64le", "s390x": "linux/s390x", "riscv64": "linux/riscv64",
}

// boardHints map words of balenalib-style image names (device or
// architecture) to the one platform they serve.
var boardHints = []struct{ word, platform string }{
	{"raspberrypi4-64", "linux/arm64"}, {"raspberrypi3-64", "linux/arm64"}, {"aarch64", "linux/arm64"},
	{"raspberrypi3", "linux/arm/v7"}, {"raspberrypi2", "linux/arm/v7"}, {"armv7hf", "linux/arm/v7"},
	{"raspberry-pi", "linux/arm/v6"}, {"rpi", "linux/arm/v6"}, {"armv6", "linux/arm/v6"},
	{"intel-nuc", "linux/amd64"}, {"genericx86-64", "linux/amd64"},
}

// servedBy is the one platform every base serves, when each base's name
// says which; nil when any base is a multi-platform (or unknown) image.
func servedBy(bases []string) []string {
	if len(bases) == 0 {
		return nil
	}
	var plat string
	for _, b := range bases {
		p := platformOfName(b)
		if p == "" || (plat != "" && p != plat) {
			return nil
		}
		plat = p
	}
	return []string{plat}
}

// platformOfName is the platform a base image's name says it serves:
// a per-architecture namespace of Docker Hub (arm32v7/python), or a
// board or architecture word of its name (balenalib/raspberrypi3-...).
func platformOfName(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	path := reference.Path(named)
	// Those namespaces are Docker Hub's: ghcr.io/arm32v7/x is anyone's.
	if ns, _, ok := strings.Cut(path, "/"); ok && reference.Domain(named) == "docker.io" {
		if p, ok := archPrefixes[ns]; ok {
			return p
		}
	}
	name := path[strings.LastIndex(path, "/")+1:]
	for _, h := range boardHints {
		if name == h.word || strings.HasPrefix(name, h.word+"-") {
			return h.platform
		}
	}
	return ""
}
