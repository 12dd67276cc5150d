package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommit runs the hooks of .pre-commit-hooks.yaml through
// pre-commit try-repo on a repository whose specs are in subdirectories.
// The hooks are run as language: system with a freshly built bricklayer
// on PATH, so pre-commit fetches nothing. Outside CI the test skips when
// pre-commit or git is missing; in CI (CI set) it fails.
func TestPreCommit(t *testing.T) {
	for _, tool := range []string{"pre-commit", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := tool + " is not on PATH (hack/install.sh installs it)"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	if testing.Short() {
		t.Skip("builds bricklayer")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "bricklayer"), "./cmd/bricklayer")
	build.Dir = "../../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PRE_COMMIT_HOME="+filepath.Join(tmp, "cache"),
		"HOME="+tmp,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
	)
	run := func(dir string, wantFail bool, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if (err != nil) != wantFail {
			t.Fatalf("%s %s: %v (want failure: %v)\n%s", name, strings.Join(args, " "), err, wantFail, out)
		}
		return string(out)
	}
	write := func(path, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The hook repository: this repository's hooks, run from PATH.
	hooksFile, err := os.ReadFile("../../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	hooks := filepath.Join(tmp, "hooks")
	write(filepath.Join(hooks, ".pre-commit-hooks.yaml"), strings.ReplaceAll(string(hooksFile), "language: golang", "language: system"))
	run(hooks, false, "git", "init", "-q")
	run(hooks, false, "git", "add", ".")
	run(hooks, false, "git", "commit", "-q", "-m", "hooks")

	// A project with two specs, neither at the top.
	proj := filepath.Join(tmp, "project")
	write(filepath.Join(proj, "images", "bricklayer.cue"), "aliases: [{prefix: \"rpi-\"}]\nimages: api: {repository: \"acme/api\", from: \"scratch\", tags: [\"stable\"]}\n")
	write(filepath.Join(proj, "images", "docker-compose.yml"), "services:\n  api:\n    image: \"acme/api:rpi-${RELEASE:-stable}\"\n")
	write(filepath.Join(proj, "images", "deploy", "compose.yaml"), "services:\n  api: {image: acme/api:rpi-stable}\n")
	write(filepath.Join(proj, "tools", "bricklayer.cue"), "images: tool: {repository: \"acme/tool\", from: \"scratch\"}\n")
	write(filepath.Join(proj, "tools", "notes.yml"), "services: {api: {image: acme/api:rpi-stable}}\n")
	run(proj, false, "git", "init", "-q")
	run(proj, false, "git", "add", ".")
	try := func(wantFail bool, hook string) string {
		t.Helper()
		return run(proj, wantFail, "pre-commit", "try-repo", hooks, hook, "--all-files")
	}

	try(false, "bricklayer-vet")
	try(false, "bricklayer-fmt")
	out := try(true, "bricklayer-migrate-compose")
	for _, want := range []string{"+++ images/docker-compose.yml", "+++ images/deploy/compose.yaml", "compose files refer to alias tags"} {
		if !strings.Contains(out, want) {
			t.Errorf("migrate hook output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "notes.yml") {
		t.Errorf("migrate hook read a file that is no compose file:\n%s", out)
	}
	run(proj, false, "bricklayer", "migrate", "compose", "--write", "images/docker-compose.yml", "images/deploy")
	try(false, "bricklayer-migrate-compose")

	// Mistakes in either spec are found, at their place.
	write(filepath.Join(proj, "tools", "bricklayer.cue"), "images: tool: {repository: \"acme/tool\",   from: \"scratch\", platforms: [\"linux/nope\"]}\n")
	out = try(true, "bricklayer-vet")
	if !strings.Contains(out, "tools/bricklayer.cue:1:") {
		t.Errorf("vet hook output lacks the position:\n%s", out)
	}
	out = try(true, "bricklayer-fmt")
	if !strings.Contains(out, "tools/bricklayer.cue: not formatted") {
		t.Errorf("fmt hook output:\n%s", out)
	}
}
