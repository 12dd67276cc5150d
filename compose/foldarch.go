package compose

import (
	"slices"
	"strings"

	"github.com/distribution/reference"
)

// archNamespaces are the Docker Hub namespaces of Docker Official Images
// built for one architecture: arm32v7/python is the arm/v7 build of the
// multi-platform library/python.
var archNamespaces = []string{"amd64", "arm32v5", "arm32v6", "arm32v7", "arm64v8", "i386", "mips64le", "ppc64le", "riscv64", "s390x", "windows-amd64"}

// foldRepository is repo (as written) with a per-architecture namespace
// of Docker Hub replaced by the library one: arm32v6/rabbitmq becomes
// rabbitmq, docker.io/arm64v8/python docker.io/library/python.
func foldRepository(repo string) (string, bool) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil || reference.Domain(named) != "docker.io" {
		return "", false
	}
	ns, name, ok := strings.Cut(reference.Path(named), "/")
	if !ok || strings.Contains(name, "/") || !slices.Contains(archNamespaces, ns) {
		return "", false
	}
	if strings.HasPrefix(repo, ns+"/") {
		return name, true
	}
	return strings.TrimSuffix(repo, ns+"/"+name) + "library/" + name, true
}
