package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestCIHelpNamesInputs: ci --help names every input of action.yml, so
// one added to the action (logins, say) is not left out of the help.
func TestCIHelpNamesInputs(t *testing.T) {
	data, err := os.ReadFile("../../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]any `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	cmd, ok := New(nil).command("ci")
	if !ok {
		t.Fatal("no ci command")
	}
	var help strings.Builder
	cmd.help(&help)
	for name := range action.Inputs {
		if !regexp.MustCompile(`(^|[\s(,])` + regexp.QuoteMeta(name) + `([\s),:]|$)`).MatchString(help.String()) {
			t.Errorf("ci --help does not name the input %s", name)
		}
	}
}
