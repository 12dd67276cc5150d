package ciflow

import (
	"bytes"
	"testing"

	"github.com/bricklayer-build/bricklayer/llbgen"
)

// TestIssues: the step's failure, a warning and a finding at a line are
// one kind of annotation, each in the CI's own syntax, escaped, or a line
// on stderr without a CI.
func TestIssues(t *testing.T) {
	finding := llbgen.ReportFinding{File: "Dockerfile", Line: 3, Column: 1, Rule: "R", URL: "u", Message: "m", Level: "warning"}
	for _, c := range []struct {
		system, out, errw string
	}{
		{"github",
			"::error title=bricklayer::no%0Aluck\n::warning title=bricklayer::50%25 done\n::warning file=Dockerfile,line=3,col=1,title=R::R: m (u)\n", ""},
		{"azure",
			"##vso[task.logissue type=error]no%0Aluck\n##vso[task.logissue type=warning]50%AZP25 done\n##vso[task.logissue type=warning;sourcepath=Dockerfile;linenumber=3;columnnumber=1;code=R]R: m (u)\n", ""},
		{"", "",
			"bricklayer ci: no\nluck\nbricklayer ci: warning: 50% done\nDockerfile:3:1: warning: R: m (u)\n"},
	} {
		var out, errw bytes.Buffer
		r := &reporter{system: c.system, out: &out, errw: &errw}
		r.fail("no\nluck")
		r.warn("50% done")
		r.annotate(finding)
		if out.String() != c.out || errw.String() != c.errw {
			t.Errorf("%q: log %q, stderr %q; want %q, %q", c.system, out.String(), errw.String(), c.out, c.errw)
		}
	}
}
