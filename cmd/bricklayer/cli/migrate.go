package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"

	"github.com/bricklayer-build/bricklayer/compose"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/spec"
)

// maxComposeSize is the largest compose (or .env) file migrate reads.
const maxComposeSize = 16 << 20

func (c *CLI) migrateCommand() *command {
	cmd := newCommand("migrate", "compose FILE|DIR...", "rewrite compose files from alias tags to canonical ones", `
migrate compose rewrites the image references of compose files from the
alias tags the spec declares to their canonical tags
(brewblox/ui:rpi-edge -> brewblox/ui:edge, acme/api:rpi-${RELEASE} ->
acme/api:${RELEASE}), for the spec's repositories and aliases only,
keeping comments, order and formatting. A literal alias tag is rewritten
only when the spec publishes its canonical tag (-v says which are left
alone and why). A DIR stands for its compose files (compose.yaml,
compose.yml, docker-compose.yml, docker-compose.*.yml).

It prints a diff; --write edits the files in place (each written whole,
and none when any of them is malformed); --check exits 1 when something
would change (for CI and pre-commit). --verify loads each file before and
after with compose's own loader (variables from the environment and .env)
and fails unless only the rewritten references differ.

The spec is --spec (repeatable: the aliases of all of them apply), else
the bricklayer.cue nearest above each compose file.

--merge takes per-architecture variants of one compose file
(docker-compose.yml docker-compose.rpi.yml) and, when compose reads them
the same once alias tags are canonical and Docker Official Images'
per-architecture repositories (arm32v6/rabbitmq) are the multi-platform
ones (rabbitmq), prints the first, so rewritten (with --write: writes it
to the first file; with --check: exits 1 when that would change it).
Otherwise it names the first difference and exits 1.`)
	specArgs := cmd.flags.StringArray("spec", nil, "the spec (FILE or DIR) that declares repositories and aliases (default: the nearest bricklayer.cue above each file)")
	write := cmd.flags.Bool("write", false, "edit the files in place")
	check := cmd.flags.Bool("check", false, "write nothing; exit 1 if a file would change")
	merge := cmd.flags.Bool("merge", false, "merge per-architecture variants of one compose file")
	verify := cmd.flags.Bool("verify", false, "check with compose's loader that only the rewritten references change")
	verbose := cmd.flags.BoolP("verbose", "v", false, "say which alias references are left alone, and why")
	contexts := contextFlag(cmd.flags)
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) < 2 || args[0] != "compose" {
			return usageErrorf("usage: bricklayer migrate compose FILE|DIR...")
		}
		if *write && *check {
			return usageErrorf("migrate: --write and --check exclude each other")
		}
		files, err := composeFiles(args[1:], *merge)
		if err != nil {
			return err
		}
		m := &migration{c: c, ctx: ctx, overrides: *contexts, verbose: *verbose, verify: *verify, specs: map[string][]compose.Rule{}}
		if len(*specArgs) > 0 {
			if m.fixed, err = m.rulesOf(*specArgs...); err != nil {
				return err
			}
		}
		if *merge {
			return m.merge(files, *write, *check)
		}
		return m.rewrite(files, *write, *check)
	}
	return cmd
}

// composeFiles are the files named, DIRs replaced by their compose files,
// each once; a file named twice is a usage error for --merge.
func composeFiles(args []string, merge bool) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	for _, a := range args {
		names := []string{a}
		if fi, err := os.Stat(a); err == nil && fi.IsDir() {
			found, err := compose.Files(a)
			if err != nil {
				return nil, usageErrorf("migrate compose: %v", err)
			}
			names = found
		}
		for _, f := range names {
			key := filepath.Clean(f)
			if seen[key] {
				if merge {
					return nil, usageErrorf("migrate compose --merge: %s is named twice", f)
				}
				continue
			}
			seen[key] = true
			files = append(files, f)
		}
	}
	if merge && len(files) < 2 {
		return nil, usageErrorf("migrate compose --merge takes at least two files")
	}
	return files, nil
}

// migration is one run of migrate compose.
type migration struct {
	c         *CLI
	ctx       context.Context
	overrides []string
	verbose   bool
	verify    bool
	fixed     []compose.Rule            // from --spec
	specs     map[string][]compose.Rule // by spec file, for the nearest-spec lookup
}

// rulesOf loads specs and returns their aliases as rules.
func (m *migration) rulesOf(args ...string) ([]compose.Rule, error) {
	var rules []compose.Rule
	for _, a := range args {
		s, err := m.c.load(m.ctx, a, m.overrides)
		if err != nil {
			return nil, err
		}
		r := aliasRules(s)
		if len(r) == 0 {
			return nil, fmt.Errorf("%s declares no aliases: there is nothing to migrate", s.File)
		}
		rules = append(rules, r...)
	}
	return rules, nil
}

// rules are the rules for compose file f: --spec's, else those of the
// nearest spec above it.
func (m *migration) rules(f string) ([]compose.Rule, error) {
	if m.fixed != nil {
		return m.fixed, nil
	}
	specFile, err := nearestSpec(f)
	if err != nil {
		return nil, err
	}
	if r, ok := m.specs[specFile]; ok {
		return r, nil
	}
	r, err := m.rulesOf(specFile)
	if err != nil {
		return nil, err
	}
	m.specs[specFile] = r
	return r, nil
}

// nearestSpec is the bricklayer.cue in f's directory or the closest one
// above it.
func nearestSpec(f string) (string, error) {
	dir := filepath.Dir(f)
	for {
		candidate := filepath.Join(dir, spec.FileName)
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", err
		}
		if parent := filepath.Dir(abs); parent != abs {
			if filepath.IsAbs(dir) {
				dir = parent
			} else {
				dir = filepath.Join(dir, "..")
			}
			continue
		}
		return "", fmt.Errorf("%s: no %s in its directory or above; name the spec with --spec", f, spec.FileName)
	}
}

// prepared is a compose file read and rewritten, not yet written.
type prepared struct {
	file string
	src  []byte
	res  *compose.Result
}

// rewrite checks and rewrites every file in memory first; only when all
// of them are good does it print or write anything.
func (m *migration) rewrite(files []string, write, check bool) error {
	var todo []prepared
	var errs []error
	for _, f := range files {
		p, err := m.prepare(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		todo = append(todo, p)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	changed := false
	for _, p := range todo {
		m.notes(p.file, p.res.Notes)
		if len(p.res.Changes) == 0 {
			continue
		}
		changed = true
		fmt.Fprint(m.c.stdout, compose.Diff(p.file, p.src, p.res.Out))
	}
	if write {
		for _, p := range todo {
			if len(p.res.Changes) == 0 {
				continue
			}
			if err := safefile.Write(p.file, p.res.Out, 0o644); err != nil {
				return err
			}
		}
	}
	if check && changed {
		return &checkFailed{msg: "bricklayer: compose files refer to alias tags (bricklayer migrate compose --write fixes them)"}
	}
	return nil
}

// prepare reads and rewrites f, and verifies the result when asked.
func (m *migration) prepare(f string) (prepared, error) {
	rules, err := m.rules(f)
	if err != nil {
		return prepared{}, err
	}
	src, err := safefile.Read(f, maxComposeSize)
	if err != nil {
		return prepared{}, err
	}
	res, err := compose.RewriteWith(src, rules, compose.Options{})
	if err != nil {
		return prepared{}, compose.InFile(f, err)
	}
	if m.verify && len(res.Changes) > 0 {
		if err := m.check(f, src, res, rules); err != nil {
			return prepared{}, err
		}
	}
	return prepared{file: f, src: src, res: res}, nil
}

// check runs compose.Verify with the environment compose would see: the
// .env beside f, overridden by the process environment.
func (m *migration) check(f string, src []byte, res *compose.Result, rules []compose.Rule) error {
	env := map[string]string{}
	dotEnv := filepath.Join(filepath.Dir(f), ".env")
	if dt, err := safefile.Read(dotEnv, maxComposeSize); err == nil {
		vars, err := dotenv.UnmarshalBytesWithLookup(dt, os.LookupEnv)
		if err != nil {
			return fmt.Errorf("%s: %w", dotEnv, err)
		}
		env = vars
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if err := compose.Verify(src, res, rules, env); err != nil {
		return fmt.Errorf("%s: --verify: %w", f, err)
	}
	return nil
}

// notes tells what was left alone: interpolations bricklayer cannot
// rewrite always, unpublished canonical tags with -v.
func (m *migration) notes(f string, notes []compose.Note) {
	for _, n := range notes {
		if n.Unhandled || m.verbose {
			fmt.Fprintf(m.c.stderr, "%s:%d:%d: %s: %s left alone: %s\n", f, n.Line, n.Column, n.Service, n.Value, n.Reason)
		}
	}
}

func (m *migration) merge(files []string, write, check bool) error {
	rules, err := m.rules(files[0])
	if err != nil {
		return err
	}
	srcs := map[string][]byte{}
	for _, f := range files {
		src, err := safefile.Read(f, maxComposeSize)
		if err != nil {
			return err
		}
		srcs[f] = src
	}
	res, err := compose.MergeWith(srcs, files, rules)
	if err != nil {
		return err
	}
	if m.verify && len(res.Changes) > 0 {
		r := &compose.Result{Out: res.Out, Changes: res.Changes}
		if err := m.check(files[0], srcs[files[0]], r, rules); err != nil {
			return err
		}
	}
	m.notes(files[0], res.Notes)
	for _, f := range files {
		for _, c := range res.Folds[f] {
			fmt.Fprintf(m.c.stderr, "%s:%d:%d: %s: %s is the multi-platform %s (a Docker Official Image's per-architecture repository folded)\n",
				f, c.Line, c.Column, c.Service, c.From, c.To)
		}
	}
	changed := !bytes.Equal(res.Out, srcs[files[0]])
	switch {
	case check:
		if changed {
			return &checkFailed{msg: fmt.Sprintf("bricklayer: %s would change (bricklayer migrate compose --merge --write writes it)", files[0])}
		}
		return nil
	case write:
		if !changed {
			return nil
		}
		return safefile.Write(files[0], res.Out, 0o644)
	}
	_, err = m.c.stdout.Write(res.Out)
	return err
}

// aliasRules are the spec's repositories with their aliases, each with
// the tags the spec publishes.
func aliasRules(s *spec.Spec) []compose.Rule {
	var rules []compose.Rule
	for _, name := range s.ImageNames {
		im := s.Images[name]
		if len(im.Aliases) == 0 || im.Repository == "" {
			continue
		}
		r := compose.Rule{Repository: im.Repository, Publishes: publishes(im)}
		for _, a := range im.Aliases {
			r.Aliases = append(r.Aliases, compose.Alias{Prefix: a.Prefix, Suffix: a.Suffix})
		}
		rules = append(rules, r)
	}
	return rules
}

// The tags a policy yields for some build: versions for semver, sha-HEX
// for sha, pr-N for pullRequest.
var (
	versionTag = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?)?)?$`)
	shaTag     = regexp.MustCompile(`^sha-[0-9a-f]{7,40}$`)
	prTag      = regexp.MustCompile(`^pr-[1-9][0-9]*$`)
)

// publishes tells which canonical tags the image is published under: its
// tags for this build (its own, and its branch's), and every tag of the
// forms its policy yields on some build (versions, the moving tag, sha-,
// pr-). A branch other than the one checked out is not assumed
// (--context branch=NAME names another).
func publishes(im *spec.Image) func(string) bool {
	tags := map[string]bool{}
	for _, t := range im.Tags {
		tags[t] = true
	}
	p := im.Policy
	return func(t string) bool {
		switch {
		case tags[t]:
		case p.Semver && versionTag.MatchString(t):
		case p.Moving != "" && t == p.Moving:
		case p.SHA && shaTag.MatchString(t):
		case p.PullRequest && prTag.MatchString(t):
		default:
			return false
		}
		return true
	}
}

// perArg makes run, a command taking one FILE|DIR, take several (as
// pre-commit hooks pass every spec file they matched): it runs once per
// argument (once with none, for the current directory). Every failure but
// the last is printed as it comes; the last decides the exit code.
func (c *CLI) perArg(run func(ctx context.Context, args []string) error) func(ctx context.Context, args []string) error {
	return func(ctx context.Context, args []string) error {
		if len(args) <= 1 {
			return run(ctx, args)
		}
		var last error
		for _, a := range args {
			if err := run(ctx, []string{a}); err != nil {
				if last != nil {
					c.exitCode(last)
				}
				last = err
			}
		}
		return last
	}
}
