package lock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"sort"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// FileName is the lock's name, beside the spec.
const FileName = "bricklayer.lock"

// Version is the format this package writes and reads.
const Version = 1

// maxSize bounds a lock file read.
const maxSize = 16 << 20

// File is a lock.
type File struct {
	Version int `json:"version"`
	// Bases are by reference, as the spec (or a Dockerfile, its args
	// expanded) writes it.
	Bases map[string]*Base `json:"bases"`
}

// Base is one reference, pinned.
type Base struct {
	// Digest is what the reference named when locked: an index, for a
	// multi-platform image.
	Digest digest.Digest `json:"digest"`
	// Platforms are the platforms the spec builds from it, by
	// containerd's format (linux/arm/v7).
	Platforms map[string]*Platform `json:"platforms"`
}

// Platform is the image a pinned reference gives for one platform.
type Platform struct {
	Manifest digest.Digest `json:"manifest"`
	// Config is the image's config, as the registry serves it (compact).
	Config json.RawMessage `json:"config"`
}

// Path is the lock beside the spec file.
func Path(specFile string) string { return filepath.Join(filepath.Dir(specFile), FileName) }

// Error is a lock that cannot be used, at a position in it when known.
type Error struct {
	File      string
	Line, Col int
	Path      string
	Msg       string
}

func (e *Error) Error() string {
	pos := e.File
	if e.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", pos, e.Path, e.Msg)
	}
	return pos + ": " + e.Msg
}

// Kind makes a bad lock a check failure, as a bad spec is.
func (e *Error) Kind() errkind.Kind { return errkind.Check }

// Read reads the lock at path; a lock that does not exist is nil, no
// error.
func Read(path string) (*File, error) {
	dt, err := safefile.Read(path, maxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return Parse(path, dt)
}

// Parse reads a lock's bytes, checking every digest and platform.
func Parse(path string, dt []byte) (*File, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(dt))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		e := &Error{File: path, Msg: fmt.Sprintf("not a lock bricklayer writes: %v (bricklayer lock writes it again)", err)}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			e.Line, e.Col = lineCol(dt, int(se.Offset)-1) // Offset is past the bad byte
		case errors.As(err, &te):
			e.Line, e.Col = lineCol(dt, int(te.Offset))
		}
		return nil, e
	}
	if f.Version != Version {
		return nil, &Error{File: path, Path: "version", Msg: fmt.Sprintf("version %d, this bricklayer reads version %d", f.Version, Version)}
	}
	bad := func(at, p, format string, args ...any) error {
		e := &Error{File: path, Path: p, Msg: fmt.Sprintf(format, args...)}
		if at != "" {
			if i := bytes.Index(dt, []byte(at)); i >= 0 {
				e.Line, e.Col = lineCol(dt, i)
			}
		}
		return e
	}
	for _, ref := range slices.Sorted(maps.Keys(f.Bases)) {
		b := f.Bases[ref]
		p := fmt.Sprintf("bases[%q]", ref)
		if b == nil {
			return nil, bad(quote(ref), p, "no entry")
		}
		if err := check(b.Digest); err != nil {
			return nil, bad(quote(string(b.Digest)), p+".digest", "%v", err)
		}
		for _, pl := range slices.Sorted(maps.Keys(b.Platforms)) {
			e := b.Platforms[pl]
			pp := fmt.Sprintf("%s.platforms[%q]", p, pl)
			if _, err := platforms.Parse(pl); err != nil {
				return nil, bad(quote(pl), pp, "%v", err)
			}
			if e == nil {
				return nil, bad(quote(pl), pp, "no entry")
			}
			if err := check(e.Manifest); err != nil {
				return nil, bad(quote(string(e.Manifest)), pp+".manifest", "%v", err)
			}
			var cfg ocispecs.Image
			if err := json.Unmarshal(e.Config, &cfg); err != nil || len(e.Config) == 0 {
				return nil, bad(quote(pl), pp+".config", "not an image config")
			}
		}
	}
	return &f, nil
}

func check(d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%q is not a digest: %w", d, err)
	}
	if d.Algorithm() != digest.SHA256 {
		return fmt.Errorf("%q is not a sha256 digest", d)
	}
	return nil
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func lineCol(dt []byte, off int) (int, int) {
	if off > len(dt) {
		off = len(dt)
	}
	line := bytes.Count(dt[:off], []byte("\n")) + 1
	col := off - bytes.LastIndexByte(dt[:off], '\n')
	return line, col
}

// Bytes is the lock as written: sorted keys, two-space indent, configs
// compact, one trailing newline; the same lock gives the same bytes.
func (f *File) Bytes() ([]byte, error) {
	out := File{Version: Version, Bases: map[string]*Base{}}
	for ref, b := range f.Bases {
		nb := &Base{Digest: b.Digest, Platforms: map[string]*Platform{}}
		for p, e := range b.Platforms {
			var c bytes.Buffer
			if err := json.Compact(&c, e.Config); err != nil {
				return nil, fmt.Errorf("the config of %s for %s: %w", ref, p, err)
			}
			nb.Platforms[p] = &Platform{Manifest: e.Manifest, Config: c.Bytes()}
		}
		out.Bases[ref] = nb
	}
	dt, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(dt, '\n'), nil
}

// Write writes the lock whole, or not at all.
func (f *File) Write(path string) error {
	dt, err := f.Bytes()
	if err != nil {
		return err
	}
	if err := safefile.Write(path, dt, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Pins are the references and their digests.
func (f *File) Pins() map[string]digest.Digest {
	out := map[string]digest.Digest{}
	for ref, b := range f.Bases {
		out[ref] = b.Digest
	}
	return out
}

// MissingError is a base image, or one platform of it, the lock has no
// entry for.
type MissingError struct {
	Ref, Platform string
}

func (e *MissingError) Error() string {
	if e.Platform == "" {
		return fmt.Sprintf("base image %s is not in %s: run bricklayer lock", e.Ref, FileName)
	}
	return fmt.Sprintf("base image %s has no entry for %s in %s: run bricklayer lock", e.Ref, e.Platform, FileName)
}

// Kind makes a lock that lacks a base a check failure, found by vet.
func (e *MissingError) Kind() errkind.Kind { return errkind.Check }

// Resolver answers base image resolution from the lock, offline: the
// pinned digest and the platform's config. It records the references
// asked, so the entries no longer used can be told.
type Resolver struct {
	f    *File
	used usedSet
}

// Resolver resolves from f.
func (f *File) Resolver() *Resolver { return &Resolver{f: f, used: newUsedSet()} }

// ResolveImageConfig implements sourceresolver.ImageMetaResolver.
func (r *Resolver) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = platforms.Normalize(*opt.ImageOpt.Platform)
	}
	key := platforms.Format(p)
	r.used.add(ref)
	b, ok := r.f.Bases[ref]
	if !ok {
		return "", "", nil, &MissingError{Ref: ref}
	}
	e, ok := b.Platforms[key]
	if !ok {
		return "", "", nil, &MissingError{Ref: ref, Platform: key}
	}
	return ref, b.Digest, e.Config, nil
}

// Resolved are the pins of the lock's references some resolution asked
// for: what a build that planned with r recorded as its bases, not the
// whole lock (a matrix runner builds some images of it).
func (r *Resolver) Resolved() map[string]digest.Digest {
	out := map[string]digest.Digest{}
	for ref, b := range r.f.Bases {
		if r.used.has(ref) {
			out[ref] = b.Digest
		}
	}
	return out
}

// Unused are the lock's references no resolution asked for.
func (r *Resolver) Unused() []string {
	var out []string
	for ref := range r.f.Bases {
		if !r.used.has(ref) {
			out = append(out, ref)
		}
	}
	sort.Strings(out)
	return out
}
