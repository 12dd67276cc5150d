package llbgen

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

// Finding is what one of BuildKit's Dockerfile checks (the rules docker
// build --check runs) found in a Dockerfile, and where: the images whose
// conversion found it, with the platforms they were converted for.
type Finding struct {
	// File is the Dockerfile's path, relative like spec.Spec.File.
	File string
	// Line and Column are 1-based; 0 when the rule gave no place.
	Line, Column int
	// Rule is the rule's name and URL its documentation (none for a
	// few rules).
	Rule, URL string
	Message   string
	// Error is set when the image's checks make findings errors (its
	// Dockerfile's # check=error=true, or the spec's checks.error).
	Error bool
	// Images are the images whose Dockerfile it is, sorted; Platforms
	// are the platforms of each that found it, in the order met.
	Images    []string
	Platforms map[string][]platform.Platform
}

// collector gathers the findings of one conversion. BuildKit's converter
// resolves base images concurrently and checks them as it goes, so warn
// may be called from several goroutines.
type collector struct {
	mu       sync.Mutex
	findings []Finding
}

// warn is the converter's linter.LintWarnFunc.
func (c *collector) warn(rule, _, url, msg string, location []parser.Range) {
	f := Finding{Rule: rule, URL: url, Message: msg}
	if len(location) > 0 {
		// BuildKit counts characters from 0 and lines from 1.
		f.Line, f.Column = location[0].Start.Line, location[0].Start.Character+1
	}
	c.mu.Lock()
	c.findings = append(c.findings, f)
	c.mu.Unlock()
}

// keep returns what the collector found that im's checks report, for
// its conversion for platform p: without the rules the spec's
// checks.skip names, and, offline, without undefined variables that a
// base image may define (docker build --check knows the base image's
// variables; vet, offline, does not).
func (c *collector) keep(im *spec.Image, p platform.Platform, offline bool) []Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Finding
	for _, f := range c.findings {
		if im.Checks.Skips(f.Rule) {
			continue
		}
		if offline && f.Rule == linter.RuleUndefinedVar.Name && im.BaseEnvUnknown(f.Line) {
			continue
		}
		f.File = filepath.Join(im.Context, filepath.FromSlash(im.Dockerfile))
		// A stage the build leaves out fails no build (see unbuilt).
		f.Error = (im.Checks.Error || im.CheckErrorDirective) && f.Rule != ""
		f.Images = []string{im.Name}
		f.Platforms = map[string][]platform.Platform{im.Name: {p}}
		out = append(out, f)
	}
	return out
}

// unbuilt records err, the failure of a stage that only the check of
// every stage converts, as a finding: docker build --check reports it,
// and the build, which leaves the stage out, does not fail on it.
func (c *collector) unbuilt(err error) {
	f := Finding{Message: "a stage the image does not build fails: " + err.Error()}
	var le *parser.LocationError
	if errors.As(err, &le) {
		if len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
			r := le.Locations[0][0]
			f.Line, f.Column = r.Start.Line, r.Start.Character+1
		}
		if inner := le.Unwrap(); inner != nil {
			f.Message = "a stage the image does not build fails: " + inner.Error()
		}
	}
	c.mu.Lock()
	c.findings = append(c.findings, f)
	c.mu.Unlock()
}

// checksFailed is the error of a conversion of im whose findings are
// errors, as BuildKit's converter fails with # check=error=true.
func checksFailed(im *spec.Image, fs []Finding) error {
	var parts []string
	for _, f := range MergeFindings(fs) {
		parts = append(parts, fmt.Sprintf("%s at line %d", f.Rule, f.Line))
	}
	why := "# check=error=true"
	if !im.CheckErrorDirective {
		why = "checks.error"
	}
	return fmt.Errorf("checks failed (%s makes that an error): %s; bricklayer vet tells more", why, strings.Join(parts, ", "))
}

// MergeFindings makes one finding of those at the same place with the
// same rule, message and level, whatever image and platform found them.
// The result is sorted by file, line, column, rule, message, and
// warnings first.
func MergeFindings(fs []Finding) []Finding {
	type key struct {
		file          string
		line, column  int
		rule, message string
		error         bool
	}
	var out []Finding
	index := map[key]int{}
	for _, f := range fs {
		k := key{f.File, f.Line, f.Column, f.Rule, f.Message, f.Error}
		i, ok := index[k]
		if !ok {
			index[k] = len(out)
			g := f
			g.Images, g.Platforms = nil, map[string][]platform.Platform{}
			out = append(out, g)
			i = len(out) - 1
		}
		g := &out[i]
		for _, name := range f.Images {
			if !slices.Contains(g.Images, name) {
				g.Images = append(g.Images, name)
			}
			for _, p := range f.Platforms[name] {
				if !slices.Contains(g.Platforms[name], p) {
					g.Platforms[name] = append(g.Platforms[name], p)
				}
			}
		}
	}
	for i := range out {
		slices.Sort(out[i].Images)
	}
	slices.SortFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message), compareBool(a.Error, b.Error))
	})
	return out
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
