package spec

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/distribution/reference"
)

// CacheEntry is a build cache import or export in BuildKit's terms.
type CacheEntry struct {
	Type  string
	Attrs map[string]string
}

// ParseCache reads --cache-to / --cache-from in BuildKit's syntax:
// type=registry,ref=REF[,mode=max], type=local,dest=DIR (src=DIR to
// import), type=inline.
func ParseCache(s string) (CacheEntry, error) {
	e := CacheEntry{Attrs: map[string]string{}}
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

// caches checks the spec's cache entries where they are written.
func (d *decoder) caches(list []string, where loc) []string {
	var out []string
	for i, c := range list {
		if _, err := ParseCache(c); err != nil {
			d.errs.at(where.child(strconv.Itoa(i)), "%v", err)
			continue
		}
		out = append(out, c)
	}
	return out
}
