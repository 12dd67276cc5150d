package buildopt

import (
	"encoding/csv"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/ref"
)

// fields splits a CSV list of key=value pairs, as buildx reads them. Keys
// may repeat only where allowed lists them.
func fields(s string) ([][2]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty")
	}
	r := csv.NewReader(strings.NewReader(s))
	r.LazyQuotes = false
	row, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("not a comma-separated list: %v", unwrapCSV(err))
	}
	if _, err := r.Read(); err == nil {
		return nil, errors.New("more than one line")
	}
	out := make([][2]string, 0, len(row))
	seen := map[string]bool{}
	for _, f := range row {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not key=value", f)
		}
		if seen[k] {
			return nil, fmt.Errorf("%s given twice", k)
		}
		seen[k] = true
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func unwrapCSV(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Output is where built images go besides the BuildKit cache.
type Output struct {
	// Type is "oci" (an OCI layout).
	Type string
	// Dest is the tar file, or the directory with Tar false.
	Dest string
	Tar  bool
}

// ParseOutput reads an output: type=oci,dest=FILE.tar or
// type=oci,dest=DIR,tar=false.
func ParseOutput(s string) (Output, error) {
	o := Output{Tar: true}
	fs, err := fields(s)
	if err != nil {
		return o, err
	}
	for _, f := range fs {
		switch k, v := f[0], f[1]; k {
		case "type":
			o.Type = v
		case "dest":
			o.Dest = v
		case "tar":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return o, fmt.Errorf("tar=%q: want true or false", v)
			}
			o.Tar = b
		default:
			return o, fmt.Errorf("unknown key %q (want type, dest, tar)", k)
		}
	}
	if o.Type != "oci" {
		return o, errors.New("type must be oci (use --push for a registry)")
	}
	if o.Dest == "" {
		return o, errors.New("dest is required")
	}
	return o, nil
}

// Cache is a build cache import or export in BuildKit's terms.
type Cache struct {
	Type  string
	Attrs map[string]string
}

// cacheTypes are the cache backends BuildKit's client knows.
var cacheTypes = []string{"registry", "local", "inline", "gha", "s3", "azblob"}

// ParseCache reads a cache import or export: type=registry,ref=REF
// [,mode=max], type=local,dest=DIR (src=DIR to import), type=inline, ...
func ParseCache(s string) (Cache, error) {
	e := Cache{Attrs: map[string]string{}}
	fs, err := fields(s)
	if err != nil {
		return e, err
	}
	for _, f := range fs {
		if f[0] == "type" {
			e.Type = f[1]
			continue
		}
		e.Attrs[f[0]] = f[1]
	}
	switch e.Type {
	case "registry":
		if _, err := reference.ParseNormalizedNamed(e.Attrs["ref"]); err != nil {
			return e, fmt.Errorf("ref: %w", err)
		}
	case "local":
		if e.Attrs["dest"] == "" && e.Attrs["src"] == "" {
			return e, errors.New("type=local needs dest= (export) or src= (import)")
		}
	case "":
		return e, errors.New("type is required")
	default:
		if !slices.Contains(cacheTypes, e.Type) {
			return e, fmt.Errorf("unknown type %q", e.Type)
		}
	}
	if m, ok := e.Attrs["mode"]; ok && m != "min" && m != "max" {
		return e, fmt.Errorf("mode=%q: want min or max", m)
	}
	return e, nil
}

// Secret is a build secret offered to run steps: a file or an environment
// variable of the machine bricklayer runs on.
type Secret struct {
	ID   string
	File string
	Env  string
}

// ParseSecret reads id=ID,src=FILE or id=ID,env=VAR, as buildx does
// (source= is src=).
func ParseSecret(s string) (Secret, error) {
	var out Secret
	fs, err := fields(s)
	if err != nil {
		return out, err
	}
	for _, f := range fs {
		switch k, v := f[0], f[1]; k {
		case "id":
			out.ID = v
		case "src", "source":
			if out.File != "" {
				return out, errors.New("src given twice")
			}
			out.File = v
		case "env":
			out.Env = v
		case "type":
			if v != "file" && v != "env" {
				return out, fmt.Errorf("type=%q: want file or env", v)
			}
		default:
			return out, fmt.Errorf("unknown key %q (want id, src, env)", k)
		}
	}
	if out.ID == "" || (out.File == "") == (out.Env == "") {
		return out, errors.New("want id=ID and one of src=FILE or env=VAR")
	}
	return out, nil
}

// FlagError names the flag and the value an option string came from.
func FlagError(flag, value string, err error) error {
	return fmt.Errorf("--%s %q: %w", flag, value, err)
}

// maxTag is the longest tag the distribution grammar allows.
const maxTag = 128

// shortTag keeps a tag within maxTag: a longer one keeps its start and
// ends in a digest of the whole, so distinct tags stay distinct.
func shortTag(tag string) string {
	if len(tag) <= maxTag {
		return tag
	}
	sum := digest.FromString(tag).Encoded()[:16]
	return tag[:maxTag-len(sum)-1] + "-" + sum
}

// PerTarget derives the cache of one image and platform (slug
// linux-arm-v7) from c, so that nodes and platforms never overwrite each
// other's cache: a registry ref REPO:TAG becomes REPO:TAG-IMAGE-SLUG (TAG
// defaults to "cache"; a tag past 128 characters ends in a digest), a
// local directory DIR becomes DIR/IMAGE/SLUG. Other types pass unchanged.
// c itself is not changed.
func (c Cache) PerTarget(image, slug string) Cache {
	out := Cache{Type: c.Type, Attrs: make(map[string]string, len(c.Attrs))}
	for k, v := range c.Attrs {
		out.Attrs[k] = v
	}
	switch c.Type {
	case "registry":
		named, err := reference.ParseNormalizedNamed(c.Attrs["ref"])
		if err != nil {
			return out // ParseCache refused it
		}
		tag := "cache"
		if t, ok := named.(reference.Tagged); ok {
			tag = t.Tag()
		}
		out.Attrs["ref"] = ref.Tagged(reference.TrimNamed(named).String(), shortTag(tag+"-"+image+"-"+slug))
	case "local":
		for _, k := range []string{"dest", "src"} {
			if d := c.Attrs[k]; d != "" {
				out.Attrs[k] = filepath.Join(d, image, slug)
			}
		}
	case "gha":
		// GitHub's cache is one namespace per repository: a scope per
		// image and platform keeps them from overwriting each other.
		scope := c.Attrs["scope"]
		if scope == "" {
			scope = "bricklayer"
		}
		out.Attrs["scope"] = scope + "-" + image + "-" + slug
	}
	return out
}

// FromRunner fills in what a type=gha cache needs from a GitHub Actions
// runner's environment (getenv), where the option string does not say:
// the token (ACTIONS_RUNTIME_TOKEN) and the cache service's addresses
// (ACTIONS_CACHE_URL, ACTIONS_RESULTS_URL), as buildx does. Other types
// pass unchanged.
func (c Cache) FromRunner(getenv func(string) string) Cache {
	if c.Type != "gha" {
		return c
	}
	out := Cache{Type: c.Type, Attrs: make(map[string]string, len(c.Attrs)+3)}
	for k, v := range c.Attrs {
		out.Attrs[k] = v
	}
	for attr, env := range map[string]string{"token": "ACTIONS_RUNTIME_TOKEN", "url": "ACTIONS_CACHE_URL", "url_v2": "ACTIONS_RESULTS_URL"} {
		if out.Attrs[attr] == "" {
			if v := getenv(env); v != "" {
				out.Attrs[attr] = v
			}
		}
	}
	return out
}
