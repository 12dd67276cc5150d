package buildinfo

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// gitTest prepares the environment for tests that run git: skipped
// without git, isolated from the user's and system's configuration, with
// an identity for commits and tags.
func gitTest(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	for k, v := range map[string]string{
		"GIT_CONFIG_GLOBAL":   os.DevNull,
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME":     "Test",
		"GIT_AUTHOR_EMAIL":    "test@example.com",
		"GIT_COMMITTER_NAME":  "Test",
		"GIT_COMMITTER_EMAIL": "test@example.com",
		"GIT_COMMITTER_DATE":  "2025-03-01T12:00:00Z",
	} {
		t.Setenv(k, v)
	}
}

// git runs git in dir and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newRepo is a fresh repository, without commits, on branch.
func newRepo(t *testing.T, branch string) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", branch)
	return dir
}

// testCommitTime is GIT_COMMITTER_DATE of the test commits.
const testCommitTime = 1740830400

// detect runs Detect on dir with env and checks it against want, whose
// Date and derived fields it fills in.
func detect(t *testing.T, dir string, env map[string]string, want Info) {
	t.Helper()
	got, err := Detect(context.Background(), dir, mapEnv(env), testNow)
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	want.Date = "2025-03-05"
	if want.SHA != "" && want.Describe != "" { // git saw the commit
		want.CommitTime = testCommitTime
	}
	want.derive()
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("Detect =\n%+v\nwant\n%+v", *got, want)
	}
}

func TestDetectGit(t *testing.T) {
	gitTest(t)
	dir := newRepo(t, "main")
	file := filepath.Join(dir, "a.txt")

	// No commit yet: the branch is known, nothing else, and no error.
	detect(t, dir, nil, Info{Branch: "main"})
	writeFile(t, file, "one\n")
	detect(t, dir, nil, Info{Branch: "main"}) // untracked: not dirty

	git(t, dir, "add", "a.txt")
	detect(t, dir, nil, Info{Branch: "main", Dirty: true}) // staged

	git(t, dir, "commit", "-q", "-m", "one")
	sha := git(t, dir, "rev-parse", "HEAD")
	short := git(t, dir, "rev-parse", "--short", "HEAD")
	detect(t, dir, nil, Info{Branch: "main", SHA: sha, Describe: short, DefaultBranch: "main"})

	git(t, dir, "tag", "-a", "-m", "release", "v1.2.3")
	release := Info{Branch: "main", SHA: sha, Tag: "v1.2.3", Describe: "v1.2.3", DefaultBranch: "main", HighestRelease: "1.2.3"}
	detect(t, dir, nil, release)

	// Dirty: a modified tracked file is, an untracked one is not.
	writeFile(t, file, "two\n")
	dirty := release
	dirty.Dirty, dirty.Describe = true, "v1.2.3-dirty"
	detect(t, dir, nil, dirty)
	git(t, dir, "checkout", "-q", "--", "a.txt")
	writeFile(t, filepath.Join(dir, "untracked.txt"), "x\n")
	detect(t, dir, nil, release)

	// Detached HEAD: no branch from git; the CI tells it, but git's SHA
	// stays.
	git(t, dir, "checkout", "-q", "--detach")
	detached := release
	detached.Branch = ""
	detect(t, dir, nil, detached)
	gh := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/heads/feature/x", "GITHUB_SHA": sha1}
	ci := release
	ci.Branch, ci.CI = "feature/x", "github"
	detect(t, dir, gh, ci)

	// Several tags: git's choice is the highest version, but on a
	// detached HEAD the tag the CI built wins.
	git(t, dir, "tag", "v1.2.4")
	git(t, dir, "tag", "latest")
	detached.Tag, detached.HighestRelease = "v1.2.4", "1.2.4"
	detached.Describe = git(t, dir, "describe", "--tags", "--always", "--dirty")
	detect(t, dir, nil, detached)
	ghTag := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_SHA": sha}
	ci = detached
	ci.Tag, ci.CI = "v1.2.3", "github"
	detect(t, dir, ghTag, ci)
	// On a branch, git's tag stands.
	git(t, dir, "checkout", "-q", "main")
	ci.Branch, ci.Tag = "main", "v1.2.4"
	detect(t, dir, ghTag, ci)
	// ...and so does its branch, except in a pull request build.
	pr := map[string]string{"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "other", "CI_DEFAULT_BRANCH": "develop"}
	ci.CI, ci.DefaultBranch = "gitlab", "develop" // the CI's beats a local guess
	detect(t, dir, pr, ci)
	pr["CI_MERGE_REQUEST_IID"], pr["CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"] = "8", "feat"
	ci.Branch, ci.PullRequest = "feat", "8"
	detect(t, dir, pr, ci)
}

func TestDetectGitDefaultBranch(t *testing.T) {
	gitTest(t)
	src := newRepo(t, "trunk")
	writeFile(t, filepath.Join(src, "a.txt"), "a\n")
	git(t, src, "add", "a.txt")
	git(t, src, "commit", "-q", "-m", "a")
	sha := git(t, src, "rev-parse", "HEAD")
	short := git(t, src, "rev-parse", "--short", "HEAD")

	// origin/HEAD names the default branch, over a local main and over
	// the CI's answer.
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, src, "clone", "-q", src, clone)
	git(t, clone, "checkout", "-q", "-b", "main")
	want := Info{Branch: "main", SHA: sha, Describe: short, DefaultBranch: "trunk"}
	detect(t, clone, nil, want)
	want.CI = "buildkite"
	detect(t, clone, map[string]string{"BUILDKITE": "true", "BUILDKITE_PIPELINE_DEFAULT_BRANCH": "other"}, want)

	// Without origin, neither main nor master: no default branch.
	detect(t, src, nil, Info{Branch: "trunk", SHA: sha, Describe: short})
	// With a local master only: master.
	git(t, src, "branch", "master")
	detect(t, src, nil, Info{Branch: "trunk", SHA: sha, Describe: short, DefaultBranch: "master"})
	// main is preferred to master.
	git(t, src, "branch", "main")
	detect(t, src, nil, Info{Branch: "trunk", SHA: sha, Describe: short, DefaultBranch: "main"})
}

// TestDetectGitOtherOwner checks that a checkout owned by another user,
// as in CI containers, is still read.
func TestDetectGitOtherOwner(t *testing.T) {
	gitTest(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the repository to another user")
	}
	dir := newRepo(t, "main")
	writeFile(t, filepath.Join(dir, "a.txt"), "a\n")
	git(t, dir, "add", "a.txt")
	git(t, dir, "commit", "-q", "-m", "a")
	sha := git(t, dir, "rev-parse", "HEAD")
	short := git(t, dir, "rev-parse", "--short", "HEAD")
	err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, 65534, 65534)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The premise: plain git refuses this repository.
	if out, err := exec.Command("git", "-C", dir, "status").CombinedOutput(); err == nil {
		t.Fatalf("git accepts a repository of another user; the test proves nothing:\n%s", out)
	}
	detect(t, dir, nil, Info{Branch: "main", SHA: sha, Describe: short, DefaultBranch: "main"})
}

func TestDetectWithoutGit(t *testing.T) {
	gitTest(t)
	dir := newRepo(t, "main")
	writeFile(t, filepath.Join(dir, "a.txt"), "a\n")
	git(t, dir, "add", "a.txt")
	git(t, dir, "commit", "-q", "-m", "a")

	t.Setenv("PATH", t.TempDir()) // no git there
	env := map[string]string{"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_SHA": sha1}
	detect(t, dir, env, Info{CI: "gitlab", Branch: "main", SHA: sha1})
}

func TestDetectErrors(t *testing.T) {
	gitTest(t)
	missing := filepath.Join(t.TempDir(), "missing")
	if _, err := Detect(context.Background(), missing, nil, testNow); err == nil || !strings.Contains(err.Error(), "reading git state") {
		t.Errorf("Detect of a missing directory: err = %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Detect(ctx, newRepo(t, "main"), nil, testNow); err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
		t.Errorf("Detect with a cancelled context: err = %v", err)
	}
}

// TestDetectGitTimeout checks that a git that hangs is stopped by the
// context, and that the error says so rather than "signal: killed".
func TestDetectGitTimeout(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake git is a shell script")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep command for the fake git")
	}
	bin := t.TempDir()
	writeFile(t, filepath.Join(bin, "git"), "#!/bin/sh\nexec "+sleep+" 10\n")
	if err := os.Chmod(filepath.Join(bin, "git"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Detect(ctx, t.TempDir(), nil, testNow)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Detect with a hanging git: err = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Detect took %v to give up", d)
	}
}

func TestSourceURL(t *testing.T) {
	for in, want := range map[string]string{
		"git@github.com:acme/pi.git":                         "https://github.com/acme/pi",
		"ssh://git@gitlab.example.com:2222/group/sub/pi.git": "https://gitlab.example.com/group/sub/pi",
		"https://x-access-token:secret@github.com/acme/pi":   "https://github.com/acme/pi",
		"https://git.example.com:8443/acme/pi.git/":          "https://git.example.com:8443/acme/pi",
		"git://example.com/pi.git":                           "https://example.com/pi",
		"/srv/git/pi.git":                                    "",
		"../pi":                                              "",
		"file:///srv/git/pi.git":                             "",
		"C:/repos/pi":                                        "",
		"":                                                   "",
	} {
		if got := SourceURL(in); got != want {
			t.Errorf("SourceURL(%q) = %q, want %q", in, got, want)
		}
	}
}
