package compose

import (
	"strings"

	"github.com/distribution/reference"

	"github.com/bricklayer-build/bricklayer/internal/hubarch"
)

// foldRepository is repo (as written) with a per-architecture namespace
// of Docker Hub replaced by the library one: arm32v6/rabbitmq becomes
// rabbitmq, docker.io/arm64v8/python docker.io/library/python.
func foldRepository(repo string) (string, bool) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil || reference.Domain(named) != "docker.io" {
		return "", false
	}
	ns, name, ok := strings.Cut(reference.Path(named), "/")
	if !ok || strings.Contains(name, "/") || !perArch(ns) {
		return "", false
	}
	if strings.HasPrefix(repo, ns+"/") {
		return name, true
	}
	return strings.TrimSuffix(repo, ns+"/"+name) + "library/" + name, true
}

// perArch tells whether ns is one of Docker Hub's per-architecture
// namespaces of Docker Official Images.
func perArch(ns string) bool {
	_, ok := hubarch.Platform(ns)
	return ok
}
