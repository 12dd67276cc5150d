package cli

import (
	"path"
	"slices"
	"strings"
)

// archWords are the words projects name per-architecture Dockerfiles
// with (Dockerfile.armhf, arm64.Dockerfile, docker/arm/Dockerfile), and
// the platform each names. armhf is Debian's and linuxserver's arm/v7.
var archWords = map[string]string{
	"amd64": "linux/amd64", "amd": "linux/amd64", "x86_64": "linux/amd64", "x64": "linux/amd64",
	"arm64": "linux/arm64", "aarch64": "linux/arm64", "arm64v8": "linux/arm64",
	"armhf": "linux/arm/v7", "armv7": "linux/arm/v7", "arm32v7": "linux/arm/v7", "arm": "linux/arm/v7",
	"armv6": "linux/arm/v6", "arm32v6": "linux/arm/v6", "armel": "linux/arm/v5",
	"riscv64": "linux/riscv64", "i386": "linux/386", "386": "linux/386",
	"ppc64le": "linux/ppc64le", "s390x": "linux/s390x",
}

// familyOf is the Dockerfile a per-architecture variant stands in for,
// and the platform its name says: Dockerfile.armhf and
// docker/arm/Dockerfile are variants of Dockerfile and docker/Dockerfile
// for linux/arm/v7. Any other file is its own family, platform "".
func familyOf(rel string) (key, platform string) {
	dir, base := path.Dir(rel), path.Base(rel)
	if s, ok := strings.CutPrefix(base, "Dockerfile."); ok && archWords[strings.ToLower(s)] != "" {
		return path.Join(dir, "Dockerfile"), archWords[strings.ToLower(s)]
	}
	if s, ok := strings.CutSuffix(base, ".Dockerfile"); ok && archWords[strings.ToLower(s)] != "" {
		return path.Join(dir, "Dockerfile"), archWords[strings.ToLower(s)]
	}
	if p := archWords[strings.ToLower(path.Base(dir))]; base == "Dockerfile" && dir != "." && p != "" {
		return path.Join(path.Dir(dir), "Dockerfile"), p
	}
	return rel, ""
}

// platformFile is the Dockerfile of one platform of a family.
type platformFile struct {
	platform, context, file string
}

// family folds the Dockerfiles of one family into one image: each
// builds the platform its base images serve when their names tell, else
// the one its name says, and the plain Dockerfile linux/amd64. ok is
// false when they are not one family: no variant among them, or two
// for one platform.
func family(members []foundDockerfile, archs []string) (foundDockerfile, bool) {
	if len(members) < 2 || !slices.ContainsFunc(archs, func(a string) bool { return a != "" }) {
		return foundDockerfile{}, false
	}
	var files []platformFile
	for i, m := range members {
		p := archs[i]
		switch {
		case len(m.platforms) == 1:
			p = m.platforms[0]
		case p == "":
			p = "linux/amd64"
		}
		if slices.ContainsFunc(files, func(f platformFile) bool { return f.platform == p }) {
			return foundDockerfile{}, false
		}
		files = append(files, platformFile{platform: p, context: m.context, file: m.file})
	}
	// The plain Dockerfile (or the amd64 one) is the default; the others
	// follow in platform order.
	first := slices.IndexFunc(archs, func(a string) bool { return a == "" })
	if first < 0 {
		first = max(0, slices.IndexFunc(files, func(f platformFile) bool { return f.platform == "linux/amd64" }))
	}
	def := files[first]
	rest := slices.Delete(slices.Clone(files), first, first+1)
	slices.SortFunc(rest, func(a, b platformFile) int { return strings.Compare(a.platform, b.platform) })
	out := members[first]
	out.bases = nil
	for _, m := range members {
		for _, b := range m.bases {
			if !slices.Contains(out.bases, b) {
				out.bases = append(out.bases, b)
			}
		}
	}
	out.perPlatform = append([]platformFile{def}, rest...)
	out.platforms = nil
	for _, f := range out.perPlatform {
		out.platforms = append(out.platforms, f.platform)
	}
	return out, true
}
