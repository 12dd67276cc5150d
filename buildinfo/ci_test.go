package buildinfo

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	sha1 = "0123456789abcdef0123456789abcdef01234567"
	sha2 = "fedcba9876543210fedcba9876543210fedcba98"
)

// testNow is late on March 4th west of Greenwich: March 5th in UTC.
var testNow = time.Date(2025, 3, 4, 22, 30, 0, 0, time.FixedZone("UTC-3", -3*3600))

// nonRepoDir is an empty directory that git will not find a repository
// for, even should the temporary directory be inside one.
func nonRepoDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	return dir
}

// mapEnv is an env function reading m.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDetectCI(t *testing.T) {
	dir := nonRepoDir(t)
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"action":"opened","number":7,"pull_request":{"number":7}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	push := filepath.Join(t.TempDir(), "push.json")
	if err := os.WriteFile(push, []byte(`{"ref":"refs/tags/v1.2.3","repository":{"name":"x","default_branch":"trunk"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want Info
	}{
		{"none", nil, Info{}},
		// A tag build names no branch; the payload names the default one,
		// so build.branch == build.defaultBranch is false on releases.
		{"github tag with payload", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": push,
			"GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_REF_NAME": "v1.2.3", "GITHUB_REF_TYPE": "tag",
		}, Info{CI: "github", Tag: "v1.2.3", DefaultBranch: "trunk"}},
		{"github branch", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_SHA": sha1,
			"GITHUB_REF": "refs/heads/feature/x", "GITHUB_REF_NAME": "feature/x", "GITHUB_REF_TYPE": "branch",
		}, Info{CI: "github", Branch: "feature/x", BranchTag: "feature-x", SHA: sha1, ShortSHA: "0123456"}},
		{"github tag", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_SHA": sha1,
			"GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_REF_NAME": "v1.2.3", "GITHUB_REF_TYPE": "tag",
		}, Info{CI: "github", Tag: "v1.2.3", SHA: sha1, ShortSHA: "0123456", Version: ParseVersion("v1.2.3")}},
		{"github tag without GITHUB_REF", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_REF_NAME": "v2.0.0", "GITHUB_REF_TYPE": "tag",
		}, Info{CI: "github", Tag: "v2.0.0", Version: ParseVersion("v2.0.0")}},
		{"github pull request", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": sha2,
			"GITHUB_REF": "refs/pull/42/merge", "GITHUB_REF_NAME": "42/merge", "GITHUB_REF_TYPE": "branch",
			"GITHUB_HEAD_REF": "Fix/Thing", "GITHUB_BASE_REF": "main",
		}, Info{CI: "github", Branch: "Fix/Thing", BranchTag: "fix-thing", PullRequest: "42", SHA: sha2, ShortSHA: "fedcba9"}},
		{"github pull_request_target", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_EVENT_PATH": event,
			"GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main", "GITHUB_REF_TYPE": "branch",
			"GITHUB_HEAD_REF": "contrib", "GITHUB_BASE_REF": "main",
		}, Info{CI: "github", Branch: "contrib", BranchTag: "contrib", PullRequest: "7"}},
		{"github pull_request_target without payload", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request_target",
			"GITHUB_EVENT_PATH": filepath.Join(dir, "missing.json"),
			"GITHUB_REF":        "refs/heads/main", "GITHUB_HEAD_REF": "contrib",
		}, Info{CI: "github", Branch: "contrib", BranchTag: "contrib"}},

		{"gitlab branch", map[string]string{
			"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_SHA": sha1, "CI_DEFAULT_BRANCH": "main",
		}, Info{CI: "gitlab", Branch: "main", BranchTag: "main", SHA: sha1, ShortSHA: "0123456", DefaultBranch: "main"}},
		{"gitlab tag", map[string]string{
			"GITLAB_CI": "true", "CI_COMMIT_TAG": "v1.0.0-rc.1", "CI_COMMIT_SHA": sha1, "CI_DEFAULT_BRANCH": "trunk",
		}, Info{CI: "gitlab", Tag: "v1.0.0-rc.1", SHA: sha1, ShortSHA: "0123456", DefaultBranch: "trunk", Version: ParseVersion("1.0.0-rc.1")}},
		{"gitlab merge request", map[string]string{
			"GITLAB_CI": "true", "CI_MERGE_REQUEST_IID": "17", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feat/y",
			"CI_COMMIT_SHA": sha2, "CI_DEFAULT_BRANCH": "main",
		}, Info{CI: "gitlab", Branch: "feat/y", BranchTag: "feat-y", PullRequest: "17", SHA: sha2, ShortSHA: "fedcba9", DefaultBranch: "main"}},

		{"azure branch", map[string]string{
			"TF_BUILD": "True", "BUILD_SOURCEBRANCH": "refs/heads/release/2.0", "BUILD_SOURCEVERSION": sha1,
		}, Info{CI: "azure", Branch: "release/2.0", BranchTag: "release-2.0", SHA: sha1, ShortSHA: "0123456"}},
		{"azure tag", map[string]string{
			"TF_BUILD": "True", "BUILD_SOURCEBRANCH": "refs/tags/1.4.0", "BUILD_SOURCEVERSION": sha1,
		}, Info{CI: "azure", Tag: "1.4.0", SHA: sha1, ShortSHA: "0123456", Version: ParseVersion("1.4.0")}},
		{"azure github pull request", map[string]string{
			"TF_BUILD": "True", "BUILD_SOURCEBRANCH": "refs/pull/9/merge", "BUILD_SOURCEVERSION": sha2,
			"SYSTEM_PULLREQUEST_PULLREQUESTNUMBER": "9", "SYSTEM_PULLREQUEST_SOURCEBRANCH": "refs/heads/topic",
		}, Info{CI: "azure", Branch: "topic", BranchTag: "topic", PullRequest: "9", SHA: sha2, ShortSHA: "fedcba9"}},
		{"azure pull request number without a pull ref", map[string]string{
			"TF_BUILD": "True", "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER": "10", "SYSTEM_PULLREQUEST_SOURCEBRANCH": "topic",
		}, Info{CI: "azure", Branch: "topic", BranchTag: "topic", PullRequest: "10"}},
		{"azure repos pull request", map[string]string{
			"TF_BUILD": "True", "BUILD_SOURCEBRANCH": "refs/pull/123/merge",
			"SYSTEM_PULLREQUEST_PULLREQUESTID": "123", "SYSTEM_PULLREQUEST_SOURCEBRANCH": "refs/heads/user/topic",
		}, Info{CI: "azure", Branch: "user/topic", BranchTag: "user-topic", PullRequest: "123"}},

		{"jenkins branch", map[string]string{
			"JENKINS_URL": "https://ci.example/", "BRANCH_NAME": "develop", "GIT_COMMIT": sha1,
		}, Info{CI: "jenkins", Branch: "develop", BranchTag: "develop", SHA: sha1, ShortSHA: "0123456"}},
		{"jenkins tag", map[string]string{
			"JENKINS_URL": "https://ci.example/", "BRANCH_NAME": "v3.1.4", "TAG_NAME": "v3.1.4", "GIT_COMMIT": sha1,
		}, Info{CI: "jenkins", Tag: "v3.1.4", SHA: sha1, ShortSHA: "0123456", Version: ParseVersion("3.1.4")}},
		{"jenkins pull request", map[string]string{
			"JENKINS_URL": "https://ci.example/", "BRANCH_NAME": "PR-5", "CHANGE_ID": "5",
			"CHANGE_BRANCH": "feature/z", "CHANGE_TARGET": "main", "GIT_COMMIT": sha2,
		}, Info{CI: "jenkins", Branch: "feature/z", BranchTag: "feature-z", PullRequest: "5", SHA: sha2, ShortSHA: "fedcba9"}},

		{"buildkite branch", map[string]string{
			"BUILDKITE": "true", "BUILDKITE_BRANCH": "main", "BUILDKITE_COMMIT": sha1,
			"BUILDKITE_PULL_REQUEST": "false", "BUILDKITE_PIPELINE_DEFAULT_BRANCH": "main",
		}, Info{CI: "buildkite", Branch: "main", BranchTag: "main", SHA: sha1, ShortSHA: "0123456", DefaultBranch: "main"}},
		{"buildkite tag", map[string]string{
			"BUILDKITE": "true", "BUILDKITE_BRANCH": "v1.0.0", "BUILDKITE_TAG": "v1.0.0", "BUILDKITE_COMMIT": "HEAD",
			"BUILDKITE_PULL_REQUEST": "false", "BUILDKITE_PIPELINE_DEFAULT_BRANCH": "main",
		}, Info{CI: "buildkite", Tag: "v1.0.0", DefaultBranch: "main", Version: ParseVersion("v1.0.0")}},
		{"buildkite pull request", map[string]string{
			"BUILDKITE": "true", "BUILDKITE_BRANCH": "someone:fix", "BUILDKITE_COMMIT": sha2,
			"BUILDKITE_PULL_REQUEST": "31", "BUILDKITE_PIPELINE_DEFAULT_BRANCH": "main",
		}, Info{CI: "buildkite", Branch: "someone:fix", BranchTag: "someone-fix", PullRequest: "31", SHA: sha2, ShortSHA: "fedcba9", DefaultBranch: "main"}},

		{"github wins over a stray JENKINS_URL", map[string]string{
			"JENKINS_URL": "https://ci.example/", "BRANCH_NAME": "jenkins-branch",
			"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/heads/gh-branch",
		}, Info{CI: "github", Branch: "gh-branch", BranchTag: "gh-branch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(context.Background(), dir, mapEnv(tt.env), testNow)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			want := tt.want
			want.Date = "2025-03-05"
			want.derive()
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("Detect =\n%+v\nwant\n%+v", *got, want)
			}
		})
	}
}

func TestDetectNilEnv(t *testing.T) {
	got, err := Detect(context.Background(), nonRepoDir(t), nil, testNow)
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	if want := (Info{Date: "2025-03-05"}); !reflect.DeepEqual(*got, want) {
		t.Errorf("Detect = %+v, want %+v", *got, want)
	}
}

func TestDetectBadEventPayload(t *testing.T) {
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"number":`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request_target",
		"GITHUB_EVENT_PATH": event, "GITHUB_REF": "refs/heads/main",
	}
	_, err := Detect(context.Background(), nonRepoDir(t), mapEnv(env), testNow)
	if err == nil || !strings.Contains(err.Error(), "GitHub event payload") {
		t.Errorf("Detect with a malformed event payload: err = %v", err)
	}
}

// TestSystem: the CI a step runs in is told by each system's own marker;
// a Jenkins URL left in a shell loses to any other.
func TestSystem(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"GITHUB_ACTIONS": "true"}, "github"},
		{map[string]string{"GITHUB_OUTPUT": "/tmp/out"}, ""}, // a file is no marker
		{map[string]string{"TF_BUILD": "True"}, "azure"},
		{map[string]string{"TF_BUILD": "true", "JENKINS_URL": "http://j"}, "azure"},
		{map[string]string{"GITLAB_CI": "true"}, "gitlab"},
		{map[string]string{"BUILDKITE": "true"}, "buildkite"},
		{map[string]string{"JENKINS_URL": "http://j"}, "jenkins"},
	} {
		if got := System(mapEnv(tc.env)); got != tc.want {
			t.Errorf("System(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}
