package build

import (
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"
)

// ParseCache reads --cache-to / --cache-from in BuildKit's syntax:
// type=registry,ref=REF[,mode=max], type=local,dest=DIR (src=DIR to
// import), type=inline.
func ParseCache(s string) (client.CacheOptionsEntry, error) {
	e := client.CacheOptionsEntry{Attrs: map[string]string{}}
	fields, err := csv.NewReader(strings.NewReader(s)).Read()
	if err != nil {
		return e, fmt.Errorf("cache %q: %w", s, err)
	}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return e, fmt.Errorf("cache %q: %q is not key=value", s, f)
		}
		if k == "type" {
			e.Type = v
			continue
		}
		e.Attrs[k] = v
	}
	switch e.Type {
	case "registry":
		if _, err := reference.ParseNormalizedNamed(e.Attrs["ref"]); err != nil {
			return e, fmt.Errorf("cache %q: ref: %w", s, err)
		}
	case "local":
		if e.Attrs["dest"] == "" && e.Attrs["src"] == "" {
			return e, fmt.Errorf("cache %q: type=local needs dest= (export) or src= (import)", s)
		}
	case "inline", "gha", "s3", "azblob":
	case "":
		return e, fmt.Errorf("cache %q: type is required", s)
	default:
		return e, fmt.Errorf("cache %q: unknown type %q", s, e.Type)
	}
	return e, nil
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
