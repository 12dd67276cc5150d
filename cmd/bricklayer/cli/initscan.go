package cli

import (
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/bricklayer-build/bricklayer/internal/hubarch"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/spec"
)

// foundDockerfile is a Dockerfile init found, with what its FROM lines tell.
type foundDockerfile struct {
	// context is its build context relative to init's directory: its
	// own directory ("src", as docker build src), or "." (dockerfileContext).
	context string
	file    string // its path in the context: Dockerfile, Dockerfile.service, docker/Dockerfile
	name    string // what it adds to the image name ("" for one plain Dockerfile)
	// bases are the images the final stage is built from, through its
	// stages, args expanded with their defaults.
	bases []string
	// platforms are what those bases serve, when their names say so
	// (arm32v7/..., balenalib/raspberrypi3-...), or a family's; nil when
	// unknown.
	platforms []string
	// perPlatform are the Dockerfiles of a family of per-architecture
	// ones, the default first (family).
	perPlatform []platformFile
	// ci are the workflows' builds of it, nil when none builds it.
	ci *ciBuilds
}

// path is f as the user knows it: src/Dockerfile.
func (f foundDockerfile) path() string { return path.Join(f.context, f.file) }

// dir is the directory f is in.
func (f foundDockerfile) dir() string { return path.Dir(f.path()) }

// dockerfiles finds the Dockerfiles in and below dir (Dockerfile,
// Dockerfile.NAME and NAME.Dockerfile), each one image. Its directory
// names the image only when Dockerfiles are in several directories.
func dockerfiles(dir string) ([]foundDockerfile, error) {
	paths, err := findDockerfiles(dir)
	if err != nil {
		return nil, err
	}
	// Per-architecture variants are grouped with the Dockerfile they
	// stand in for, in the order the walk met them.
	var keys []string
	groups := map[string][]string{}
	archs := map[string]string{}
	dirs := map[string]bool{}
	for _, p := range paths {
		key, arch := familyOf(p)
		if groups[key] == nil {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], p)
		archs[p] = arch
		dirs[path.Dir(key)] = true
	}
	// nameOf is what a Dockerfile (or family) at rel adds to the image
	// name: its directory only when Dockerfiles are in several.
	nameOf := func(rel string) string {
		var parts []string
		if d := path.Dir(rel); len(dirs) > 1 && d != "." {
			for _, e := range strings.Split(d, "/") {
				parts = append(parts, strings.TrimLeft(e, "."))
			}
		}
		if s := dockerfileSuffix(rel); s != "" {
			parts = append(parts, s)
		}
		return strings.Join(parts, "-")
	}
	var out []foundDockerfile
	for _, key := range keys {
		var members []foundDockerfile
		var memberArchs []string
		for _, p := range groups[key] {
			// Read and parsed once, for the context and the bases.
			df := readDockerfile(filepath.Join(dir, filepath.FromSlash(p)))
			f := foundDockerfile{context: dockerfileContext(dir, p, df), name: nameOf(p)}
			f.file = strings.TrimPrefix(p, f.context+"/")
			f.bases = baseImages(df)
			f.platforms = servedBy(f.bases)
			members = append(members, f)
			memberArchs = append(memberArchs, archs[p])
		}
		if fam, ok := family(members, memberArchs); ok {
			fam.name = nameOf(key)
			out = append(out, fam)
			continue
		}
		out = append(out, members...)
	}
	// Plain Dockerfile first, then by name.
	slices.SortFunc(out, func(a, b foundDockerfile) int {
		if (a.name == "") != (b.name == "") {
			if a.name == "" {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.path(), b.path())
	})
	return out, nil
}

// baseImages are the images the last stage of the Dockerfile df builds
// on, following stage names, with ARG defaults expanded; nil when it
// could not be read or parsed (vet will say why).
func baseImages(df *spec.ParsedDockerfile) []string {
	if df == nil || len(df.Stages) == 0 {
		return nil
	}
	stages := df.Stages
	env := map[string]string{}
	for _, a := range df.MetaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				env[kv.Key] = *kv.Value
			}
		}
	}
	lex := shell.NewLex(df.Escape)
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
		// A Windows base (windows-amd64/...) serves no platform
		// bricklayer builds: the defaults then, with the note to check it.
		if p, ok := hubarch.Platform(ns); ok && strings.HasPrefix(p, "linux/") {
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

// readDockerfile reads and parses a Dockerfile as a load of the spec
// would; nil when it cannot be read (vet will say why).
func readDockerfile(file string) *spec.ParsedDockerfile {
	dt, err := safefile.Read(file, spec.MaxDockerfileSize)
	if err != nil {
		return nil
	}
	return spec.ParseDockerfile(dt)
}

// stagesOf are df's stages; none when it was not read or did not parse.
func stagesOf(df *spec.ParsedDockerfile) []instructions.Stage {
	if df == nil {
		return nil
	}
	return df.Stages
}

// dockerfileContext is the context a Dockerfile at rel (a slash path
// below root), parsed as df, is built in: its own directory, as docker
// build DIR does, unless what it copies is not there but in a directory
// above (the nearest), as for docker/Dockerfile built with docker build
// -f docker/Dockerfile . .
func dockerfileContext(root, rel string, df *spec.ParsedDockerfile) string {
	dir := path.Dir(rel)
	if dir == "." {
		return dir
	}
	var srcs []string
	for _, st := range stagesOf(df) {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.CopyCommand:
				if c.From == "" {
					srcs = append(srcs, c.SourcePaths...)
				}
			case *instructions.AddCommand:
				srcs = append(srcs, c.SourcePaths...)
			}
		}
	}
	// The nearest directory on the way up that holds them all.
	for d := dir; ; d = path.Dir(d) {
		if found(root, d, srcs) {
			return d
		}
		if d == "." {
			return dir
		}
	}
}

// found tells whether every local source (globs and variables taken as
// they match, URLs skipped) is in dir below root.
func found(root, dir string, srcs []string) bool {
	for _, s := range srcs {
		if strings.Contains(s, "://") || strings.Contains(s, "$") {
			continue
		}
		m, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(dir), filepath.FromSlash(path.Clean("/" + s)[1:])))
		if err != nil || len(m) == 0 {
			return false
		}
	}
	return true
}
