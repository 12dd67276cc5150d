package build

import (
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"

	"github.com/bricklayer-build/bricklayer/spec"
)

// ParseCache reads a cache option in BuildKit's form (see spec.ParseCache).
func ParseCache(s string) (client.CacheOptionsEntry, error) {
	e, err := spec.ParseCache(s)
	return client.CacheOptionsEntry{Type: e.Type, Attrs: e.Attrs}, err
}

// perPlatform derives the cache of one image and platform from e, so that
// nodes and platforms never overwrite each other's cache: a registry ref
// REPO:TAG becomes REPO:TAG-IMAGE-OS-ARCH[-VARIANT] (TAG defaults to
// "cache"), a local directory DIR becomes DIR/IMAGE/OS-ARCH[-VARIANT].
// Other types pass unchanged.
func perPlatform(e client.CacheOptionsEntry, image, platform string) client.CacheOptionsEntry {
	out := client.CacheOptionsEntry{Type: e.Type, Attrs: map[string]string{}}
	for k, v := range e.Attrs {
		out.Attrs[k] = v
	}
	slug := image + "-" + strings.ReplaceAll(platform, "/", "-")
	switch e.Type {
	case "registry":
		named, err := reference.ParseNormalizedNamed(e.Attrs["ref"])
		if err != nil {
			return out
		}
		tag := "cache"
		if t, ok := named.(reference.Tagged); ok {
			tag = t.Tag()
		}
		out.Attrs["ref"] = reference.TrimNamed(named).String() + ":" + tag + "-" + slug
	case "local":
		for _, k := range []string{"dest", "src"} {
			if d := e.Attrs[k]; d != "" {
				out.Attrs[k] = filepath.Join(d, image, strings.ReplaceAll(platform, "/", "-"))
			}
		}
	}
	return out
}

func derive(entries []client.CacheOptionsEntry, image string, plats []string) []client.CacheOptionsEntry {
	var out []client.CacheOptionsEntry
	for _, e := range entries {
		for _, p := range plats {
			out = append(out, perPlatform(e, image, p))
		}
	}
	return out
}
