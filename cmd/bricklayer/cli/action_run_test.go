package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/rogpeppe/go-internal/testscript"
	"gopkg.in/yaml.v3"
)

// actionDef is what runAction reads of action.yml and of the Azure
// template: the inputs (parameters) with their defaults, the steps and
// the outputs.
type actionDef struct {
	Inputs     map[string]struct{ Default string } `yaml:"inputs"`
	Parameters []struct {
		Name    string `yaml:"name"`
		Default any    `yaml:"default"`
	} `yaml:"parameters"`
	Outputs map[string]struct{ Value string } `yaml:"outputs"`
	Runs    struct {
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
	Steps []actionStep `yaml:"steps"`
}

type actionStep struct {
	ID   string            `yaml:"id"`
	Run  string            `yaml:"run"`
	Bash string            `yaml:"bash"`
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

// runtimeVars are what GitHub gives JavaScript actions and not a
// composite action's run steps: the cache service's token and addresses.
var runtimeVars = []string{"ACTIONS_RUNTIME_TOKEN", "ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL"}

var expr = regexp.MustCompile(`\$\{\{\s*([a-zA-Z0-9_.-]+)\s*\}\}`)

// action [-exit N] github|azure runs the steps of action.yml (github) or
// of the Azure template (azure) as the runner would, with the script's
// environment: an input (parameter) NAME is the script's INPUT_NAME
// (login-password and loginPassword are INPUT_LOGIN_PASSWORD), else its
// default. GitHub: each step writes its own outputs file, steps.ID.outputs
// are read from it, and the action's outputs go to $GITHUB_OUTPUT. Azure:
// a step's ##vso[task.prependpath] reaches the later steps' PATH. It
// stops at the first failing step; -exit N wants that step's exit code.
//
// As on GitHub, run steps do not see the runtime variables (runtimeVars)
// of the script's environment. The harness runs no JavaScript: a
// github-script step is given the outputs its script sets, one per
// runtime variable, named after it and holding its value (empty when
// unset), and it fails the test when its script does not name them all.
// That the script masks them is not checked here; actionlint and review
// are what check the script itself.
func runAction(ts *testscript.TestScript, neg bool, args []string) {
	want := -1
	if len(args) == 3 && args[0] == "-exit" {
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		want, args = n, args[2:]
	}
	if len(args) != 1 || (args[0] != "github" && args[0] != "azure") {
		ts.Fatalf("usage: action [-exit N] github|azure")
	}
	repo := ts.Getenv("REPO")
	file := filepath.Join(repo, "action.yml")
	if args[0] == "azure" {
		file = filepath.Join(repo, "ci", "azure", "bricklayer.yml")
	}
	data, err := os.ReadFile(file)
	ts.Check(err)
	var def actionDef
	ts.Check(yaml.Unmarshal(data, &def))
	inputs := map[string]string{}
	for name, in := range def.Inputs {
		inputs["inputs."+name] = or(ts.Getenv(inputVar(name)), in.Default)
	}
	for _, p := range def.Parameters {
		d := ""
		if p.Default != nil {
			d = fmt.Sprint(p.Default)
		}
		inputs["parameters."+p.Name] = or(ts.Getenv(inputVar(p.Name)), d)
	}
	// The script's whole environment, which testscript does not list.
	ts.Check(ts.Exec("env", "-0"))
	base := map[string]string{}
	for _, kv := range strings.Split(ts.ReadFile("stdout"), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			base[k] = v
		}
	}
	steps := append(def.Runs.Steps, def.Steps...)
	path := base["PATH"]
	for i, st := range steps {
		script := st.Run + st.Bash
		if strings.HasPrefix(st.Uses, "actions/github-script@") && args[0] == "github" {
			for _, v := range runtimeVars {
				if !strings.Contains(st.With["script"], "'"+v+"'") {
					ts.Fatalf("step %d: its script does not name %s, whose output the harness gives it", i, v)
				}
				inputs["steps."+st.ID+".outputs."+v] = base[v]
			}
			continue
		}
		if st.Uses != "" {
			ts.Fatalf("step %d: the harness cannot run %s", i, st.Uses)
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Dir = ts.MkAbs(".")
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		env["PATH"] = path
		env["GITHUB_ACTION_PATH"] = repo
		if args[0] == "github" {
			for _, v := range runtimeVars {
				delete(env, v)
			}
		}
		var outFile string
		if args[0] == "github" {
			outFile = filepath.Join(ts.Getenv("WORK"), fmt.Sprintf("step-%d-output", i))
			ts.Check(os.WriteFile(outFile, nil, 0o644))
			env["GITHUB_OUTPUT"] = outFile
		}
		for k, v := range st.Env {
			env[k] = expr.ReplaceAllStringFunc(v, func(m string) string {
				return inputs[expr.FindStringSubmatch(m)[1]]
			})
		}
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		fmt.Fprint(ts.Stdout(), stdout.String())
		fmt.Fprint(ts.Stderr(), stderr.String())
		if outFile != "" && st.ID != "" {
			for k, v := range readOutputs(ts, outFile) {
				inputs["steps."+st.ID+".outputs."+k] = v
			}
		}
		sc := bufio.NewScanner(strings.NewReader(stdout.String()))
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "##vso[task.prependpath]"); ok {
				path = p + string(os.PathListSeparator) + path
			}
		}
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				ts.Fatalf("step %d: %v", i, err)
			}
			if want >= 0 && ee.ExitCode() != want {
				ts.Fatalf("step %d exited %d, want %d", i, ee.ExitCode(), want)
			}
			if !neg && want < 0 {
				ts.Fatalf("step %d: %v", i, err)
			}
			return
		}
	}
	if neg || want > 0 {
		ts.Fatalf("the action succeeded")
	}
	if args[0] == "github" {
		f, err := os.OpenFile(ts.Getenv("GITHUB_OUTPUT"), os.O_APPEND|os.O_WRONLY, 0)
		ts.Check(err)
		for name, o := range def.Outputs {
			v := expr.ReplaceAllStringFunc(o.Value, func(m string) string { return inputs[expr.FindStringSubmatch(m)[1]] })
			fmt.Fprintf(f, "%s<<END_OF_%s\n%s\nEND_OF_%s\n", name, name, v, name)
		}
		ts.Check(f.Close())
	}
}

// inputVar is the INPUT_ variable of an input or parameter name:
// metadata-file and metadataFile are INPUT_METADATA_FILE.
func inputVar(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case r == '-':
			b.WriteByte('_')
		case unicode.IsUpper(r) && i > 0:
			b.WriteByte('_')
			b.WriteRune(r)
		default:
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return "INPUT_" + b.String()
}

// readOutputs reads a GitHub outputs file as the runner does.
func readOutputs(ts *testscript.TestScript, file string) map[string]string {
	out := map[string]string{}
	data, err := os.ReadFile(file)
	ts.Check(err)
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if name, delim, ok := strings.Cut(l, "<<"); ok && !strings.Contains(name, "=") {
			var v []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				v = append(v, lines[i])
			}
			if i == len(lines) {
				ts.Fatalf("%s: output %s has no closing %s", file, name, delim)
			}
			out[name] = strings.Join(v, "\n")
			continue
		}
		name, v, ok := strings.Cut(l, "=")
		if !ok {
			ts.Fatalf("%s: not an output line: %q", file, l)
		}
		out[name] = v
	}
	return out
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
