package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/internal/dockerauth"
	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/lock"
	"github.com/bricklayer-build/bricklayer/plan"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/spec"
)

func (c *CLI) lockCommand() *command {
	cmd := newCommand("lock", "[FILE|DIR]", "pin the spec's base images in bricklayer.lock", `
Lock resolves every base image of every image and platform of the spec
(from: in the spec, a stage's from, a copy from an image, and Dockerfile
FROM lines with their args expanded) against its registry, and writes
bricklayer.lock beside the spec: for each reference the digest it names
(an index, for a multi-platform image) and, per platform built from it,
the image manifest and its config. The file is sorted and written whole.

A lock that exists is used, as go.sum is: plan, print, build and publish
lower with the pinned bases, so plan's digests cover them and are the
digests of what a build solves, on any runner, any day; vet fails when
a base has no entry, or an entry is no longer used. Lock keeps the pins
it has and adds what is missing; --update re-resolves every reference,
or those named. --check only checks the lock against the spec, offline
(for a pre-commit hook and CI): exit 1 when it is out of date.

A base whose index has no image for a platform the spec builds from it is
an error (exit 1), found here rather than when the build pulls it.
Credentials come from the Docker config, as for build.`)
	check := cmd.flags.Bool("check", false, "check the lock against the spec, offline; write nothing")
	update := cmd.flags.Bool("update", false, "re-resolve every reference, or those given as arguments after the spec")
	insecure := cmd.flags.StringArray("insecure-registry", nil, "registry HOST[:PORT] reached over plain HTTP (repeatable)")
	contexts := contextFlag(cmd.flags)
	sets := setFlag(cmd.flags)
	cmd.run = func(ctx context.Context, args []string) error {
		if *check && !*update && len(args) > 1 {
			// A pre-commit hook passes every changed spec and lock.
			return c.checkLocks(ctx, args, *contexts, *sets)
		}
		arg := "."
		if len(args) > 0 && (!*update || isSpecArg(args[0])) {
			arg, args = args[0], args[1:]
			if filepath.Base(arg) == lock.FileName {
				arg = filepath.Dir(arg)
			}
		}
		if len(args) > 0 && !*update {
			return usageErrorf("lock takes at most one FILE or DIR; references to re-resolve go with --update")
		}
		if *check && *update {
			return usageErrorf("lock: --check writes nothing; leave out --update")
		}
		hosts, err := parseInsecure("lock", *insecure)
		if err != nil {
			return err
		}
		s, err := c.load(ctx, arg, *contexts, *sets...)
		if err != nil {
			return err
		}
		path := lock.Path(s.File)
		old, err := lock.Read(path)
		if err != nil {
			return err
		}
		if *check {
			return checkLockOf(ctx, s, old)
		}
		pins := map[string]digest.Digest{}
		if old != nil && !(*update && len(args) == 0) {
			pins = old.Pins()
			for _, r := range args {
				if _, ok := pins[r]; !ok {
					return usageErrorf("lock --update: %s is not in %s (references: %s)", r, lock.FileName, strings.Join(slices.Sorted(maps.Keys(pins)), ", "))
				}
				delete(pins, r)
			}
		}
		reg := publish.Registry{Insecure: hosts, Keychain: dockerauth.Keychain(c.dockerAuth())}.Shared()
		bases := &publish.Bases{Registry: reg, Pins: pins, CheckPlatform: true}
		if err := plan.Bases(ctx, s, bases); err != nil {
			return err
		}
		f := bases.Lock()
		if err := f.Write(path); err != nil {
			return &writeFailed{err: err}
		}
		c.reportLock(path, old, f)
		return nil
	}
	return cmd
}

// isSpecArg says whether the first argument of lock --update names the
// spec rather than a reference.
func isSpecArg(a string) bool {
	_, err := spec.Find(a)
	return err == nil
}

// reportLock says what changed.
func (c *CLI) reportLock(path string, old, f *lock.File) {
	var before map[string]digest.Digest
	if old != nil {
		before = old.Pins()
	}
	after := f.Pins()
	for _, r := range slices.Sorted(maps.Keys(after)) {
		switch b, ok := before[r]; {
		case !ok:
			fmt.Fprintf(c.stdout, "added    %s@%s\n", r, after[r])
		case b != after[r]:
			fmt.Fprintf(c.stdout, "updated  %s@%s (was %s)\n", r, after[r], b)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(before)) {
		if _, ok := after[r]; !ok {
			fmt.Fprintf(c.stdout, "removed  %s (no longer used)\n", r)
		}
	}
	fmt.Fprintf(c.stdout, "%s: %d base images\n", path, len(after))
}

// lockStale is a lock that does not cover the spec: exit 1, as a spec
// mistake.
type lockStale struct{ msg string }

func (e *lockStale) Error() string      { return e.msg }
func (e *lockStale) Kind() errkind.Kind { return errkind.Check }

// checkLock plans the spec offline with the lock as vet does: a base
// without an entry, or an entry no plan uses, is out of date.
func checkLock(ctx context.Context, s *spec.Spec, f *lock.File) error {
	r := f.Resolver()
	if err := plan.Bases(ctx, s, r); err != nil {
		return err
	}
	if unused := r.Unused(); len(unused) > 0 {
		return &lockStale{msg: fmt.Sprintf("%s: %s no longer used by the spec: run bricklayer lock", lock.Path(s.File), strings.Join(unused, ", "))}
	}
	return nil
}

// lockResolver is the resolver a lock beside the spec gives plans, or
// nil without one.
func lockResolver(s *spec.Spec) (*lock.Resolver, *lock.File, error) {
	f, err := lock.Read(lock.Path(s.File))
	if err != nil || f == nil {
		return nil, nil, err
	}
	return f.Resolver(), f, nil
}

// checkLocks checks the lock of each spec the arguments name: a spec, its
// directory, or its lock.
func (c *CLI) checkLocks(ctx context.Context, args, contexts, sets []string) error {
	var seen []string
	var errs []error
	for _, a := range args {
		if filepath.Base(a) == lock.FileName {
			a = filepath.Dir(a)
		}
		file, err := spec.Find(a)
		if err != nil {
			return err
		}
		if abs, err := filepath.Abs(file); err == nil {
			if slices.Contains(seen, abs) {
				continue
			}
			seen = append(seen, abs)
		}
		s, err := c.load(ctx, file, contexts, sets...)
		if err != nil {
			return err
		}
		f, err := lock.Read(lock.Path(s.File))
		if err != nil {
			return err
		}
		if err := checkLockOf(ctx, s, f); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkLockOf is lock --check of one spec and its lock (nil: none).
func checkLockOf(ctx context.Context, s *spec.Spec, f *lock.File) error {
	if f == nil {
		return &lockStale{msg: fmt.Sprintf("%s: no %s: run bricklayer lock", s.File, lock.FileName)}
	}
	return checkLock(ctx, s, f)
}
