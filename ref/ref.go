package ref

import (
	"errors"
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

// Host is a registry's host[:port] as the reference grammar reads it
// from a repository, lower-case (host names are not case-sensitive): a
// host given on the command line and one read from a repository compare
// as equal strings.
type Host string

// HostOf is the registry host of a repository, as the reference grammar
// reads it: acme/app is on docker.io, and a first component without a
// dot or port (but localhost) is a path, not a host.
func HostOf(repo string) (Host, error) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return "", fmt.Errorf("invalid repository %q: %w", repo, err)
	}
	return Host(strings.ToLower(reference.Domain(named))), nil
}

// ParseHost reads a registry given alone (--insecure-registry): host[:port]
// with no scheme or path, where host is a name, localhost, an IPv4
// address or a bracketed IPv6 one. The caller names the value in its
// error. A name without a dot or port, other than localhost, is refused:
// in a reference it is a Docker Hub path, so no repository is on it.
func ParseHost(raw string) (Host, error) {
	switch {
	case raw == "":
		return "", errors.New("empty registry host")
	case strings.Contains(raw, "://"):
		return "", errors.New("want HOST[:PORT] without a scheme")
	case strings.ContainsAny(raw, "/@"):
		return "", errors.New("want HOST[:PORT] without a path")
	}
	host := strings.ToLower(raw)
	// The grammar reads a host only before a path: give it one.
	named, err := reference.ParseNormalizedNamed(host + "/x")
	if err != nil {
		return "", errors.New("want HOST[:PORT], HOST a name, localhost, an IPv4 address or a bracketed IPv6 one")
	}
	if p := BadPort(named); p != "" {
		return "", errors.New(p)
	}
	if d := reference.Domain(named); d != host {
		if d == "docker.io" && reference.Path(named) == "library/x" {
			// index.docker.io: Docker Hub, as references name it.
			return Host(d), nil
		}
		return "", fmt.Errorf("%s is not a registry host: a registry's name has a dot or a port (or is localhost); %s/app is a Docker Hub repository", host, host)
	}
	return Host(host), nil
}
