package ref

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
)

// ParseRepository reads an image's repository as the spec takes it: a
// name without tag or digest, normalized (acme/app is docker.io/acme/app).
func ParseRepository(raw string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("invalid repository %q: %v", raw, err)
	case BadPort(named) != "":
		return nil, fmt.Errorf("invalid repository %q: %s", raw, BadPort(named))
	case !reference.IsNameOnly(named):
		return nil, fmt.Errorf("repository %q has a tag or digest; list tags in tags", raw)
	}
	return named, nil
}

// BadPort tells what is wrong with the port of a reference's registry,
// or "": the reference grammar takes any number of digits.
func BadPort(named reference.Named) string {
	domain := reference.Domain(named)
	i := strings.LastIndexByte(domain, ':')
	if i < 0 || strings.HasSuffix(domain, "]") {
		return ""
	}
	port, err := strconv.Atoi(domain[i+1:])
	if err != nil || port < 1 || port > 65535 {
		return "registry port " + domain[i+1:] + " is out of range 1-65535"
	}
	return ""
}

// Tagged is the reference to tag in repo, repo:tag: the one place
// bricklayer writes it, so that the plan, the spec's checks and the tags
// it moves name a reference alike.
func Tagged(repo, tag string) string { return repo + ":" + tag }

// Digested is the reference to the manifest d in repo, repo@d: the one
// place bricklayer writes it, beside Tagged.
func Digested(repo string, d digest.Digest) string { return repo + "@" + d.String() }

// Host is the registry host[:port] of a repository, as the reference
// grammar reads it: acme/app is on docker.io, and a first component
// without a dot or port (but localhost) is a path, not a host.
func Host(repo string) (string, error) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return "", fmt.Errorf("invalid repository %q: %w", repo, err)
	}
	return reference.Domain(named), nil
}
