package ciflow

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// vetReporter is a bricklayer whose vet reports two findings of the
// Dockerfile checks, failing (exit 1) when failVet is set, as vet does
// for a finding that is an error.
type vetReporter struct {
	fakeBricklayer
	failVet bool
}

func (v *vetReporter) Run(ctx context.Context, args []string, env func(string) string, stdout io.Writer) int {
	if args[0] != "vet" {
		return v.fakeBricklayer.Run(ctx, args, env, stdout)
	}
	v.calls = append(v.calls, fakeCall{args: args, env: env})
	io.WriteString(stdout, `{"spec": "bricklayer.cue", "findings": [
  {"file": "docker/Dockerfile", "line": 1, "column": 1, "rule": "StageNameCasing", "url": "https://docs.example/stage", "message": "Stage name 'Base' should be lowercase", "level": "warning"},
  {"file": "a,b:c.Dockerfile", "line": 5, "column": 2, "rule": "MaintainerDeprecated", "url": "https://docs.example/m", "message": "100% deprecated\nuse a label", "level": "error"}
]}
`)
	if v.failVet {
		return 1
	}
	return 0
}

// TestVetAnnotations: each finding of vet becomes an annotation at its
// file, line and column, in the CI's own syntax, with the file and the
// message escaped; a vet that fails on a finding still shows them all.
func TestVetAnnotations(t *testing.T) {
	for _, c := range []struct {
		system  string
		failVet bool
		want    []string
	}{
		{"github", false, []string{
			"::warning file=docker/Dockerfile,line=1,col=1,title=StageNameCasing::StageNameCasing: Stage name 'Base' should be lowercase (https://docs.example/stage)\n",
			"::error file=a%2Cb%3Ac.Dockerfile,line=5,col=2,title=MaintainerDeprecated::MaintainerDeprecated: 100%25 deprecated%0Ause a label (https://docs.example/m)\n",
		}},
		{"azure", true, []string{
			"##vso[task.logissue type=warning;sourcepath=docker/Dockerfile;linenumber=1;columnnumber=1;code=StageNameCasing]StageNameCasing: Stage name 'Base' should be lowercase (https://docs.example/stage)\n",
			"##vso[task.logissue type=error;sourcepath=a,b:c.Dockerfile;linenumber=5;columnnumber=2;code=MaintainerDeprecated]MaintainerDeprecated: 100%AZP25 deprecated%0Ause a label (https://docs.example/m)\n",
		}},
	} {
		env := map[string]string{"INPUT_PUSH": "false", "INPUT_METADATA_FILE": t.TempDir() + "/meta.json"}
		var out bytes.Buffer
		step := &Step{Env: func(k string) string { return env[k] }, Stdout: &out, Stderr: io.Discard,
			Bricklayer: &vetReporter{failVet: c.failVet}, System: c.system}
		err := step.Run(context.Background())
		if (err != nil) != c.failVet {
			t.Errorf("%s: Run = %v, want failure %v", c.system, err, c.failVet)
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: the log lacks %q:\n%s", c.system, w, out.String())
			}
		}
	}
}

// TestDigestOutput: digest is the one image's index digest, as
// build-push-action's output; with several images it is empty.
func TestDigestOutput(t *testing.T) {
	for _, c := range []struct{ meta, want string }{
		{`{"images": {"app": {"digest": "sha256:1"}}}`, "sha256:1"},
		{`{"images": {"app": {"digest": "sha256:1"}, "api": {"digest": "sha256:2"}}}`, ""},
		{`{"images": {}}`, ""},
	} {
		var m metadataDoc
		if err := json.Unmarshal([]byte(c.meta), &m); err != nil {
			t.Fatal(err)
		}
		if got := m.digest(); got != c.want {
			t.Errorf("%s: digest = %q, want %q", c.meta, got, c.want)
		}
	}
}
