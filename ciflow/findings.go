package ciflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bricklayer-build/bricklayer/llbgen"
)

// vetFindings reads vet's JSON report (one document per spec); a report
// cut short by a failing vet gives what it holds.
func vetFindings(report []byte) ([]llbgen.ReportFinding, error) {
	var out []llbgen.ReportFinding
	dec := json.NewDecoder(bytes.NewReader(report))
	for {
		var doc llbgen.Report
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("reading vet's findings: %w", err)
		}
		out = append(out, doc.Findings...)
	}
}

// annotate shows a Dockerfile check's finding on its file and line, as a
// warning or an error.
func (r *reporter) annotate(f llbgen.ReportFinding) {
	level := "warning"
	if f.Level == "error" {
		level = "error"
	}
	at := &place{file: f.File, line: f.Line, col: f.Column, rule: f.Rule}
	r.issue(level, at, fmt.Sprintf("%s: %s (%s)", f.Rule, f.Message, f.URL))
}

// ghProp escapes a workflow command's property, which ends at ',' and
// '::' besides a line end.
func ghProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// azProp escapes a logging command's property, which ends at ';' or ']'.
func azProp(s string) string {
	return strings.NewReplacer("%", "%AZP25", "\r", "%0D", "\n", "%0A", ";", "%3B", "]", "%5D").Replace(s)
}
