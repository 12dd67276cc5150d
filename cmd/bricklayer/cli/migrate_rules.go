package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/compose"
	"github.com/bricklayer-build/bricklayer/spec"
)

// rulesOf loads specs and returns their aliases as rules. A spec without
// aliases is no error: a project that drops an expired alias, as vet
// tells it to, must not break its pre-commit hook; its compose files
// have nothing left to migrate, which -v says.
func (m *migration) rulesOf(args ...string) ([]compose.Rule, error) {
	var rules []compose.Rule
	for _, a := range args {
		s, err := m.c.load(m.ctx, a, m.overrides)
		if err != nil {
			return nil, err
		}
		r := aliasRules(s)
		if len(r) == 0 && m.verbose {
			fmt.Fprintf(m.c.stderr, "%s declares no aliases: there is nothing to migrate\n", s.File)
		}
		rules = append(rules, r...)
	}
	return rules, nil
}

// rules are the rules for compose file f: --spec's, else those of the
// nearest spec above it.
func (m *migration) rules(f string) ([]compose.Rule, error) {
	if m.hasFixed {
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
// for sha, pr-N for pullRequest (CalVer's forms are buildinfo's). The
// package's regexps compile on first use: start-up, which every command
// pays for, compiles none of them.
var (
	versionTag = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?)?)?$`)
	})
	shaTag = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sha-[0-9a-f]{7,40}$`) })
	prTag  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^pr-[1-9][0-9]*$`) })
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
		case p.Semver && versionTag().MatchString(t):
		case p.CalVer && buildinfo.IsCalVerTag(t):
		case p.Moving != "" && t == p.Moving:
		case p.SHA && shaTag().MatchString(t):
		case p.PullRequest && prTag().MatchString(t):
		default:
			return false
		}
		return true
	}
}
