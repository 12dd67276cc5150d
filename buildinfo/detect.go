package buildinfo

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// dateLayout is the form of Info.Date, which the spec compares with
// alias expiry dates as strings.
const dateLayout = "2006-01-02"

// Detect reads the build context of the repository at dir: git first (run
// the `git` binary with exec.CommandContext, `-C dir`), then the CI
// system's variables from env (env is os.Getenv in production; tests pass a
// map lookup) where git cannot tell (detached HEAD in CI, pull requests).
// now gives Date (YYYY-MM-DD, UTC). Without git (not installed, or dir not a
// repository) it returns an Info with empty git fields and no error. It
// never fails for a repository without commits or tags either.
//
// A nil env reads no variables. How git and CI are weighed:
//   - SHA, Describe and Dirty are git's; the CI's SHA only fills in
//     without git.
//   - Branch is git's, unless HEAD is detached (or git is absent): then
//     the CI's. In a pull request build it is always the CI's source
//     branch, as the checked-out branch then has a name of the CI's
//     making ("PR-12") or none.
//   - Tag is git's, unless HEAD is detached and the CI names one: the CI
//     knows which of several tags on the commit was pushed.
//   - PullRequest comes only from the CI, as git knows nothing of it.
//   - DefaultBranch is origin/HEAD, else the CI's (GitLab, Buildkite),
//     else a local "main", else a local "master": the CI's answer is
//     authoritative where a local branch is merely a guess.
func Detect(ctx context.Context, dir string, env func(string) string, now time.Time) (*Info, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	g, err := readGit(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("reading git state of %s: %w", dir, err)
	}
	c, err := readCI(env)
	if err != nil {
		return nil, fmt.Errorf("reading %s CI variables: %w", c.name, err)
	}
	info := merge(g, c)
	info.Date = now.UTC().Format(dateLayout)
	return info, nil
}

// merge weighs git's and the CI's answers as Detect documents.
func merge(g gitState, c ciState) *Info {
	info := &Info{
		Branch:      g.branch,
		Tag:         g.tag,
		SHA:         g.sha,
		Describe:    g.describe,
		Dirty:       g.dirty,
		CommitTime:  g.commitTime,
		PullRequest: c.pullRequest,
		CI:          c.name,
		Source:      g.source,
	}
	detached := g.branch == ""
	switch {
	case c.pullRequest != "" && c.branch != "":
		info.Branch = c.branch
	case detached:
		info.Branch = c.branch
	}
	if c.tag != "" && (detached || info.Tag == "") {
		info.Tag = c.tag
	}
	if info.SHA == "" {
		info.SHA = c.sha
	}
	info.HighestRelease = highestRelease(g.tags, releaseScheme(info.Tag, g.tags))
	info.DefaultBranch = firstNonEmpty(g.remoteDefault, c.defaultBranch, g.localDefault)
	info.derive()
	return info
}

// derive recomputes the fields that follow from others.
func (i *Info) derive() {
	i.BranchTag = SanitizeBranch(i.Branch)
	i.ShortSHA = shortSHA(i.SHA)
	i.Version = ParseRelease(i.Tag)
	i.Latest = false
	if v := i.Version; v != nil && !v.IsPrerelease() {
		// Within the scheme: a highest release of another scheme (one
		// set by --context) says nothing of this one.
		h := ParseRelease(i.HighestRelease)
		i.Latest = h == nil || h.Scheme != v.Scheme || compareVersions(v, h) >= 0
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// contextKeys lists the keys Set accepts, for its errors.
const contextKeys = "branch, tag, sha, describe, dirty, defaultBranch, pullRequest, ci, date, highestRelease, var.NAME"

// Set overrides one field from the command line (--context KEY=VALUE).
// Keys: branch, tag, sha, describe, dirty (true/false), defaultBranch,
// pullRequest, ci, date (YYYY-MM-DD, validated). Setting branch updates
// BranchTag; setting tag re-parses Version; setting sha updates ShortSHA.
// An unknown key or a bad value is an error that lists the valid keys.
//
// Keys match case-insensitively (defaultbranch works too). An empty value
// clears a field, except date, which the spec's alias expiry needs.
// Setting dirty does not edit Describe's "-dirty" suffix: Describe is
// git's output, overridden by its own key.
//
// var.NAME sets Vars[NAME] to value, any string: NAME is an identifier
// (a letter, then letters, digits and '_'), so that the spec can
// write build.vars.NAME, and its case is kept.
func (i *Info) Set(key, value string) error {
	bad := func(want string) error {
		return fmt.Errorf("invalid build context value %s=%q: want %s (keys: %s)", key, value, want, contextKeys)
	}
	if len(key) > 4 && strings.EqualFold(key[:4], "var.") || strings.EqualFold(key, "var.") {
		name := key[4:]
		if !isIdentifier(name) {
			return fmt.Errorf("invalid build context key %q: NAME of var.NAME is an identifier (a letter, then letters, digits and '_') (keys: %s)", key, contextKeys)
		}
		if i.Vars == nil {
			i.Vars = Vars{}
		}
		i.Vars[name] = value
		return nil
	}
	switch strings.ToLower(key) {
	case "branch":
		i.Branch = value
	case "tag":
		i.Tag = value
	case "sha":
		sha := commitSHA(value)
		if value != "" && sha == "" {
			return bad("a commit hash of 7 to 64 hexadecimal digits")
		}
		i.SHA = sha
	case "describe":
		i.Describe = value
	case "dirty":
		// Only the two JSON spellings: "1" or "t" in a build context
		// would more likely be a typo than a wish.
		switch value {
		case "true":
			i.Dirty = true
		case "false":
			i.Dirty = false
		default:
			return bad("true or false")
		}
	case "defaultbranch":
		i.DefaultBranch = value
	case "pullrequest":
		if value != "" && prNumber(value) == "" {
			return bad("a pull request number")
		}
		i.PullRequest = value
	case "ci":
		i.CI = value
	case "highestrelease":
		if value != "" && ParseRelease(value) == nil {
			return bad("a release version such as 2.0.1 or 2026.07.2")
		}
		i.HighestRelease = value
	case "date":
		// time.Parse also rejects days that do not exist (2024-02-30).
		if _, err := time.Parse(dateLayout, value); err != nil {
			return bad("a date YYYY-MM-DD")
		}
		i.Date = value
	default:
		return fmt.Errorf("unknown build context key %q (keys: %s)", key, contextKeys)
	}
	i.derive()
	return nil
}

// isIdentifier tells a name the spec can write after build.vars.: an
// ASCII letter, then letters, digits and '_' (CUE takes a leading '_'
// for a hidden field, which a JSON value cannot fill).
func isIdentifier(s string) bool {
	for n, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || n > 0 && (c == '_' || c >= '0' && c <= '9')) {
			return false
		}
	}
	return s != ""
}
