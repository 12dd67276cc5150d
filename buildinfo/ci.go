package buildinfo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// ciState is what a CI system's variables tell of a build. Empty fields
// are unknown.
type ciState struct {
	name          string // github, gitlab, azure, jenkins, buildkite
	branch        string // for a pull request, its source branch
	tag           string
	sha           string
	pullRequest   string
	defaultBranch string
}

// System names the CI system whose variables env holds: github, gitlab,
// azure, buildkite, jenkins, or "" for none. The checks go from the most
// specific marker to the least: JENKINS_URL comes last as it is only a
// URL that may well be set elsewhere, e.g. in a developer's shell.
func System(env func(string) string) string {
	switch {
	case env("GITHUB_ACTIONS") == "true":
		return "github"
	case env("GITLAB_CI") == "true":
		return "gitlab"
	case strings.EqualFold(env("TF_BUILD"), "true"): // Azure sets "True"
		return "azure"
	case env("BUILDKITE") == "true":
		return "buildkite"
	case env("JENKINS_URL") != "":
		return "jenkins"
	}
	return ""
}

// readCI reads the variables of the CI system that runs the build, if
// any.
func readCI(env func(string) string) (ciState, error) {
	switch System(env) {
	case "github":
		return readGitHub(env)
	case "gitlab":
		return readGitLab(env), nil
	case "azure":
		return readAzure(env), nil
	case "buildkite":
		return readBuildkite(env), nil
	case "jenkins":
		return readJenkins(env), nil
	}
	return ciState{}, nil
}

// readGitHub reads GitHub Actions variables. The default branch is not
// among them; it is left to git.
func readGitHub(env func(string) string) (ciState, error) {
	s := ciState{name: "github", sha: commitSHA(env("GITHUB_SHA"))}
	s.branch, s.tag, s.pullRequest = parseRef(env("GITHUB_REF"))
	if s.branch == "" && s.tag == "" && s.pullRequest == "" {
		// GITHUB_REF is unset for some events; the short name and its
		// type may still be there.
		switch env("GITHUB_REF_TYPE") {
		case "branch":
			s.branch = env("GITHUB_REF_NAME")
		case "tag":
			s.tag = env("GITHUB_REF_NAME")
		}
	}
	// The event payload names the repository's default branch, which no
	// variable does (tag builds have no branch to compare with otherwise).
	ev, err := githubEvent(env("GITHUB_EVENT_PATH"))
	if err != nil {
		return s, err
	}
	s.defaultBranch = ev.Repository.DefaultBranch
	event := env("GITHUB_EVENT_NAME")
	if s.pullRequest == "" && event != "pull_request" && event != "pull_request_target" {
		return s, nil
	}
	// A pull request: GITHUB_REF is refs/pull/N/merge, or for
	// pull_request_target the base branch, neither of which is the
	// branch being built.
	s.branch, s.tag = env("GITHUB_HEAD_REF"), ""
	if s.pullRequest == "" {
		// pull_request_target builds the base branch, so its ref holds no
		// number; the event payload does.
		s.pullRequest = ev.pr()
	}
	return s, nil
}

// maxEventFile bounds the GitHub event payload read (GitHub caps webhook
// payloads at 25 MB).
const maxEventFile = 25 << 20

// githubPayload is what bricklayer reads of a GitHub event payload.
type githubPayload struct {
	Number      int `json:"number"`
	PullRequest struct {
		Number int `json:"number"`
	} `json:"pull_request"`
	Repository struct {
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

// pr is the pull request number of the event, or "".
func (p githubPayload) pr() string {
	for _, n := range []int{p.PullRequest.Number, p.Number} {
		if n > 0 {
			return fmt.Sprint(n)
		}
	}
	return ""
}

// githubEvent reads the GitHub event payload at path. A payload that is
// not there (a job run in a container without the runner's files) just
// leaves what it would tell unknown.
func githubEvent(path string) (githubPayload, error) {
	var p githubPayload
	if path == "" {
		return p, nil
	}
	data, err := safefile.Read(path, maxEventFile)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("reading the GitHub event payload: %w", err)
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("reading the GitHub event payload %s: %w", path, err)
	}
	return p, nil
}

// readGitLab reads GitLab CI variables. In a merge request pipeline
// CI_COMMIT_BRANCH is unset and the source branch has its own variable.
func readGitLab(env func(string) string) ciState {
	s := ciState{
		name:          "gitlab",
		branch:        env("CI_COMMIT_BRANCH"),
		tag:           env("CI_COMMIT_TAG"),
		sha:           commitSHA(env("CI_COMMIT_SHA")),
		pullRequest:   prNumber(env("CI_MERGE_REQUEST_IID")),
		defaultBranch: env("CI_DEFAULT_BRANCH"),
	}
	if s.pullRequest != "" {
		s.branch = env("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
	}
	return s
}

// readAzure reads Azure Pipelines variables. The pull request number
// variable is set for GitHub pull requests only; for Azure Repos the
// number is the N of refs/pull/N/merge.
func readAzure(env func(string) string) ciState {
	s := ciState{name: "azure", sha: commitSHA(env("BUILD_SOURCEVERSION"))}
	s.branch, s.tag, s.pullRequest = parseRef(env("BUILD_SOURCEBRANCH"))
	if n := prNumber(env("SYSTEM_PULLREQUEST_PULLREQUESTNUMBER")); n != "" {
		s.pullRequest = n
	}
	if s.pullRequest != "" {
		s.branch = strings.TrimPrefix(env("SYSTEM_PULLREQUEST_SOURCEBRANCH"), "refs/heads/")
		s.tag = ""
	}
	return s
}

// readBuildkite reads Buildkite variables. Buildkite sets the branch to
// the tag's name on tag builds, and the pull request to "false" when
// there is none.
func readBuildkite(env func(string) string) ciState {
	s := ciState{
		name:          "buildkite",
		branch:        env("BUILDKITE_BRANCH"),
		tag:           env("BUILDKITE_TAG"),
		sha:           commitSHA(env("BUILDKITE_COMMIT")), // may be "HEAD"
		pullRequest:   prNumber(env("BUILDKITE_PULL_REQUEST")),
		defaultBranch: env("BUILDKITE_PIPELINE_DEFAULT_BRANCH"),
	}
	if s.tag != "" && s.branch == s.tag {
		s.branch = ""
	}
	return s
}

// readJenkins reads the variables of a Jenkins multibranch pipeline.
// Like Buildkite it names tag builds' branch after the tag, and a pull
// request's branch "PR-N", so CHANGE_BRANCH is the source branch.
func readJenkins(env func(string) string) ciState {
	s := ciState{
		name:        "jenkins",
		branch:      env("BRANCH_NAME"),
		tag:         env("TAG_NAME"),
		sha:         commitSHA(env("GIT_COMMIT")),
		pullRequest: prNumber(env("CHANGE_ID")),
	}
	if s.tag != "" && s.branch == s.tag {
		s.branch = ""
	}
	if s.pullRequest != "" {
		s.branch = env("CHANGE_BRANCH")
	}
	return s
}

// parseRef splits a full ref as CI systems give it: refs/heads/X is a
// branch, refs/tags/X a tag, refs/pull/N/... a pull request. Anything
// else tells nothing.
func parseRef(ref string) (branch, tag, pr string) {
	if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		return b, "", ""
	}
	if t, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		return "", t, ""
	}
	if rest, ok := strings.CutPrefix(ref, "refs/pull/"); ok {
		n, _, _ := strings.Cut(rest, "/")
		return "", "", prNumber(n)
	}
	return "", "", ""
}

// prNumber returns s if it is a pull request number, else "" (Buildkite's
// "false", an unexpanded variable).
func prNumber(s string) string {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return ""
	}
	return s
}

// commitSHA returns s if it looks like a commit hash, else "": Buildkite
// may give "HEAD", and a symbolic name must not become the SHA.
func commitSHA(s string) string {
	if !isHex(s) || len(s) < 7 || len(s) > 64 {
		return ""
	}
	return strings.ToLower(s)
}

func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdefABCDEF") == ""
}
