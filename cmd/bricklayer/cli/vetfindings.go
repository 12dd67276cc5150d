package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/bricklayer-build/bricklayer/llbgen"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

// writeFindings prints the findings of the Dockerfile checks on stderr,
// one line each: FILE:LINE:COL: warning: RULE: message [images] URL,
// without "warning: " for an error.
func (c *CLI) writeFindings(s *spec.Spec, found []llbgen.Finding) {
	for _, f := range found {
		var b strings.Builder
		b.WriteString(f.File)
		if f.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", f.Line, f.Column)
		}
		b.WriteString(": ")
		if !f.Error {
			b.WriteString("warning: ")
		}
		if f.Rule != "" {
			b.WriteString(f.Rule + ": ")
		}
		// The URL last, where no punctuation can run into it.
		b.WriteString(f.Message + " [" + findingImages(s, f) + "]")
		if f.URL != "" {
			b.WriteString(" " + f.URL)
		}
		fmt.Fprintln(c.stderr, b.String())
	}
}

// findingImages names the images that share a finding, each with the
// platforms that found it when those are not all of the image's:
// "image api", "images api, worker on linux/arm64".
func findingImages(s *spec.Spec, f llbgen.Finding) string {
	parts := make([]string, len(f.Images))
	for i, name := range f.Images {
		parts[i] = name
		ps := f.Platforms[name]
		if im, ok := s.Images[name]; ok && samePlatforms(ps, im.Platforms) {
			continue
		}
		parts[i] += " on " + strings.Join(platformStrings(ps), " and ")
	}
	what := "image "
	if len(parts) > 1 {
		what = "images "
	}
	return what + strings.Join(parts, ", ")
}

// samePlatforms tells whether a and b hold the same platforms.
func samePlatforms(a, b []platform.Platform) bool {
	if len(a) != len(b) {
		return false
	}
	for _, p := range a {
		if !slices.Contains(b, p) {
			return false
		}
	}
	return true
}

func platformStrings(ps []platform.Platform) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// writeFindingsJSON prints the findings as one JSON document on stdout
// (llbgen.Report).
func (c *CLI) writeFindingsJSON(s *spec.Spec, found []llbgen.Finding) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(llbgen.NewReport(s.File, found)); err != nil {
		return fmt.Errorf("writing the findings: %w", err)
	}
	return nil
}

func countErrors(found []llbgen.Finding) int {
	n := 0
	for _, f := range found {
		if f.Error {
			n++
		}
	}
	return n
}

// wrapList joins items with commas into lines of at most width
// characters, for help text.
func wrapList(items []string, width int) string {
	var b strings.Builder
	line := 0
	for i, it := range items {
		if i < len(items)-1 {
			it += ","
		}
		if line > 0 && line+1+len(it) > width {
			b.WriteString("\n")
			line = 0
		} else if line > 0 {
			b.WriteString(" ")
			line++
		}
		b.WriteString(it)
		line += len(it)
	}
	return b.String()
}
