package llbgen

import (
	"slices"

	"github.com/bricklayer-build/bricklayer/platform"
)

// Report is what vet --format json prints for one spec, and what
// bricklayer ci reads back to annotate each finding: one shape, declared
// once. vet's help (docs/commands.md) describes it.
type Report struct {
	Spec     string          `json:"spec"`
	Findings []ReportFinding `json:"findings"`
}

// ReportFinding is a Finding as the report shows it: the platforms are
// those of every image that found it, in the order met, and Level is
// "warning" or "error".
type ReportFinding struct {
	File      string              `json:"file"`
	Line      int                 `json:"line"`
	Column    int                 `json:"column"`
	Rule      string              `json:"rule"`
	URL       string              `json:"url"`
	Message   string              `json:"message"`
	Images    []string            `json:"images"`
	Platforms []platform.Platform `json:"platforms"`
	Level     string              `json:"level"`
}

// NewReport is the report of found for the spec file.
func NewReport(file string, found []Finding) Report {
	rep := Report{Spec: file, Findings: []ReportFinding{}}
	for _, f := range found {
		rf := ReportFinding{File: f.File, Line: f.Line, Column: f.Column, Rule: f.Rule, URL: f.URL,
			Message: f.Message, Images: f.Images, Platforms: []platform.Platform{}, Level: "warning"}
		if f.Error {
			rf.Level = "error"
		}
		for _, name := range f.Images {
			for _, p := range f.Platforms[name] {
				if !slices.Contains(rf.Platforms, p) {
					rf.Platforms = append(rf.Platforms, p)
				}
			}
		}
		rep.Findings = append(rep.Findings, rf)
	}
	return rep
}
