package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// githubScript is the actions/github-script step of action.yml, pinned
// by commit.
var githubScript = regexp.MustCompile(`(?m)^\s*uses:\s*(actions/github-script@[0-9a-f]{40})\b`)

// actrun [ARGS...] runs the workflows of $WORK/.github/workflows with
// nektos/act on this machine (a self-hosted runner, -P
// ubuntu-latest=-self-hosted: no container) for a push, offline:
//   - Local actions only (uses: ./action, a copy of the repository's
//     action.yml and ci/ the script makes). actions/checkout is not
//     fetched: act copies the script's directory, the workflow's
//     repository, into each job's workspace itself.
//   - action.yml's actions/github-script step, the one action it uses,
//     is served at the commit action.yml pins (read from it, so the test
//     follows a new pin) from testdata/action/act/github-script: a
//     JavaScript action of ours that runs the step's script with the part
//     of @actions/core it calls. --action-offline-mode keeps act from
//     fetching anything else.
//   - ACT_DISABLE_VERSION_CHECK=1: act does not ask for notices about
//     its version. (Its flags' defaults still find the machine's
//     outbound address with a UDP connect, which sends nothing.)
//   - act's cache and artifact servers listen on 127.0.0.1; its files
//     (the jobs' workspaces and tool cache) go to a temporary directory
//     that is removed with the script, with the HOME act sees, so no act
//     configuration of the machine's applies.
//
// Jobs see the script's environment less what stands for a runner in
// the other action scripts (GITHUB_*, RUNNER_*, INPUT_*, ACTIONS_*): act
// sets its own. ARGS go to act after these (--var NAME=VALUE, -j JOB;
// action_act_readme* add -P for the documented runners and --local-repository
// for the released action and the artifact stand-ins). Every script
// gives -s GITHUB_TOKEN (empty where no step uses it), which act
// otherwise asks the machine's gh CLI for. Every build job gives the
// action builder-addr: the loopback $BUILDKIT_HOST, which the step
// requires to answer rather than starting a buildkitd of its own.
// It fails when act does (a job failed), or, negated, when it does not.
func actRun(ts *testscript.TestScript, neg bool, args []string) {
	if !hasGitHubToken(args) {
		ts.Fatalf("actrun: give -s GITHUB_TOKEN=VALUE (empty when no step uses it), or act asks the machine's gh CLI for one")
	}
	repo := ts.Getenv("REPO")
	action, err := os.ReadFile(filepath.Join(repo, "action.yml"))
	ts.Check(err)
	pin := githubScript.FindSubmatch(action)
	if pin == nil {
		ts.Fatalf("action.yml uses no actions/github-script pinned by commit")
	}
	// Outside $WORK: act copies the workflow's repository, $WORK, into
	// each job's workspace, which is under its cache path.
	dir, err := os.MkdirTemp("", "bricklayer-act-")
	ts.Check(err)
	ts.Defer(func() { os.RemoveAll(dir) })
	ts.Check(os.MkdirAll(filepath.Join(dir, "home"), 0o755))
	act := []string{"push",
		"-P", "ubuntu-latest=-self-hosted",
		"--action-offline-mode",
		"--local-repository", string(pin[1]) + "=" + filepath.Join(repo, "testdata", "action", "act", "github-script"),
		"--action-cache-path", filepath.Join(dir, "cache"),
		"--cache-server-path", filepath.Join(dir, "actcache"),
		"--cache-server-addr", "127.0.0.1",
		"--artifact-server-addr", "127.0.0.1",
	}
	cmd := exec.Command("act", append(act, args...)...)
	cmd.Dir = ts.MkAbs(".")
	ts.Check(ts.Exec("env", "-0"))
	for _, kv := range strings.Split(ts.ReadFile("stdout"), "\x00") {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "HOME" || hasAnyPrefix(k, "GITHUB_", "RUNNER_", "INPUT_", "ACTIONS_", "ACT_") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	// Else act asks its project's server for notices about its version.
	cmd.Env = append(cmd.Env, "HOME="+filepath.Join(dir, "home"), "ACT_DISABLE_VERSION_CHECK=1")
	cmd.Stdout, cmd.Stderr = ts.Stdout(), ts.Stderr()
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &ee):
		ts.Fatalf("act: %v", err)
	case err != nil && !neg:
		ts.Fatalf("act: %v", err)
	case err == nil && neg:
		ts.Fatalf("act succeeded")
	}
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// hasGitHubToken tells whether act's arguments give the GITHUB_TOKEN
// secret (-s NAME=VALUE, --secret NAME=VALUE or --secret=NAME=VALUE).
func hasGitHubToken(args []string) bool {
	for i, a := range args {
		v, ok := strings.CutPrefix(a, "--secret=")
		if !ok && (a == "-s" || a == "--secret") && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if ok && strings.HasPrefix(strings.ToUpper(v), "GITHUB_TOKEN=") {
			return true
		}
	}
	return false
}
