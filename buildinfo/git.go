package buildinfo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// gitState is what git tells of a work tree. Empty fields are unknown.
type gitState struct {
	commitTime int64
	branch     string // "" when HEAD is detached
	sha        string // "" before the first commit
	tag        string
	describe   string
	dirty      bool
	// The default branch as the remote declares it (origin/HEAD), and
	// failing that a guess from the local branches. They are kept apart
	// because a CI system's own answer ranks between the two.
	remoteDefault string
	localDefault  string
	// tags are all the repository's tags, to find the highest release
	// in the scheme of the build's tag.
	tags []string
	// source is origin's URL as a web address (SourceURL).
	source string
}

// gitRepo runs git on the work tree at dir.
type gitRepo struct {
	dir string
}

// gitError is a git command that ran and failed.
type gitError struct {
	args   []string
	code   int
	stderr string
}

func (e *gitError) Error() string {
	msg := strings.TrimSpace(e.stderr)
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("git %s: exit status %d: %s", strings.Join(e.args, " "), e.code, msg)
}

// exitCode is the exit status of a failed git command, or -1 when err is
// not one (git missing, context cancelled).
func exitCode(err error) int {
	var ge *gitError
	if errors.As(err, &ge) {
		return ge.code
	}
	return -1
}

// run runs git with args and returns its standard output, trimmed.
func (g gitRepo) run(ctx context.Context, args ...string) (string, error) {
	full := []string{
		"-C", g.dir,
		// CI checkouts are often owned by another user than the one
		// building (actions/checkout in container jobs, Jenkins agents,
		// mounted workspaces), and git then refuses the repository as
		// "dubious". bricklayer is pointed at dir on purpose to build it,
		// so the ownership check, meant for someone who merely cd's into
		// a stranger's directory, would only lose the git state here.
		"-c", "safe.directory=*",
		// fsmonitor is a command the repository's config can name and
		// `git status` runs; with the check above bypassed, do not run it.
		"-c", "core.fsmonitor=false",
		// Reading must not rewrite the index: the tree may be read-only
		// or shared with a concurrent git process.
		"--no-optional-locks",
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	// LC_ALL=C keeps messages in English, as isNotRepository reads them.
	cmd.Env = append(os.Environ(), "LC_ALL=C", "GIT_TERMINAL_PROMPT=0")
	// Should git leave a child holding its output open, waiting for the
	// output must not outlast a cancelled context by more than this. Not
	// less: the delay also runs from git's exit while its output is still
	// being copied, and one second was seen to expire on a CI machine
	// with a load of 20.
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), ctx.Err())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return "", &gitError{args: args, code: exit.ExitCode(), stderr: stderr.String()}
	}
	if err != nil {
		return "", fmt.Errorf("running git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// isNotRepository reports whether err says dir is in no git repository.
func isNotRepository(err error) bool {
	var ge *gitError
	return errors.As(err, &ge) && strings.Contains(ge.stderr, "not a git repository")
}

// readGit reads the state of the work tree at dir. Without git, or
// outside a repository, it returns an empty state and no error: building
// from an exported tarball is legitimate, the CI variables may still tell.
func readGit(ctx context.Context, dir string) (gitState, error) {
	var s gitState
	g := gitRepo{dir: dir}
	inside, err := g.run(ctx, "rev-parse", "--is-inside-work-tree")
	switch {
	case errors.Is(err, exec.ErrNotFound), isNotRepository(err):
		return s, nil
	case err != nil:
		return s, fmt.Errorf("looking for a git work tree: %w", err)
	case inside != "true":
		// A bare repository or the .git directory itself: there is no
		// checkout that a build could be of.
		return s, nil
	}

	// The queries are independent: run them together, since a
	// pre-commit vet waits for them. Exit status 1 is git's "no such
	// thing" for several of them (detached HEAD, no commit yet, no
	// origin/HEAD, no such branch); anything else is a real failure.
	var (
		origin              string
		hasMain, hasMaster  bool
		status, tags, descr string
		ctime, allTags      string
	)
	eg, ectx := errgroup.WithContext(ctx)
	query := func(out *string, what string, okExit1 bool, args ...string) {
		eg.Go(func() error {
			v, err := g.run(ectx, args...)
			if err != nil && !(okExit1 && exitCode(err) == 1) {
				return fmt.Errorf("%s: %w", what, err)
			}
			*out = v
			return nil
		})
	}
	exists := func(found *bool, name string) {
		eg.Go(func() error {
			_, err := g.run(ectx, "show-ref", "--verify", "--quiet", "refs/heads/"+name)
			if err != nil && exitCode(err) != 1 {
				return fmt.Errorf("looking for a local %s branch: %w", name, err)
			}
			*found = err == nil
			return nil
		})
	}
	query(&s.branch, "reading the current branch", true, "symbolic-ref", "--short", "-q", "HEAD")
	query(&s.sha, "reading the current commit", true, "rev-parse", "-q", "--verify", "HEAD^{commit}")
	// Untracked files do not make the tree dirty: they are not part of
	// the commit, so they do not make what the commit names differ from
	// it, and build outputs or editor files would otherwise mark every
	// local build dirty. This matches `git describe --dirty`.
	query(&status, "reading the work tree status", false, "status", "--porcelain", "--untracked-files=no")
	query(&origin, "reading origin's default branch", true, "symbolic-ref", "-q", "refs/remotes/origin/HEAD")
	eg.Go(func() error {
		// No origin: status 2 ("No such remote"), nothing to report.
		url, err := g.run(ectx, "remote", "get-url", "origin")
		if err == nil {
			s.source = SourceURL(url)
		} else if c := exitCode(err); c != 1 && c != 2 {
			return fmt.Errorf("reading origin's URL: %w", err)
		}
		return nil
	})
	exists(&hasMain, "main")
	exists(&hasMaster, "master")
	if err := eg.Wait(); err != nil {
		return s, err
	}
	s.dirty = status != ""
	// The full ref is read and cut, not --short: that would yield
	// "remotes/origin/x" if a local branch were named "origin/x".
	s.remoteDefault = strings.TrimPrefix(origin, "refs/remotes/origin/")
	switch {
	case hasMain:
		s.localDefault = "main"
	case hasMaster:
		s.localDefault = "master"
	}
	if s.sha != "" {
		// Tags and describe need a commit; a fresh repository has none.
		eg, ectx = errgroup.WithContext(ctx)
		query(&tags, "reading the tags of HEAD", false, "tag", "--points-at", "HEAD")
		// Not --dirty: that would scan the tree again; status has.
		query(&descr, "describing HEAD", false, "describe", "--tags", "--always")
		query(&ctime, "reading the commit time", false, "log", "-1", "--format=%ct", "HEAD")
		query(&allTags, "listing the tags", false, "tag", "--list")
		if err := eg.Wait(); err != nil {
			return s, err
		}
		s.tag = pickTag(strings.Fields(tags))
		s.describe = descr
		s.tags = strings.Fields(allTags)
		s.commitTime, _ = strconv.ParseInt(ctime, 10, 64)
		if s.dirty {
			s.describe += "-dirty"
		}
	}
	return s, nil
}

// highestRelease is the highest version of scheme among tags that is no
// pre-release, without a leading v ("" when there is none).
func highestRelease(tags []string, scheme string) string {
	var best *Version
	for _, t := range tags {
		if v := ParseRelease(t); v != nil && v.Scheme == scheme && !v.IsPrerelease() && (best == nil || compareVersions(v, best) > 0) {
			best = v
		}
	}
	if best == nil {
		return ""
	}
	return best.Full
}

// pickTag chooses the tag of HEAD among those pointing at it: the highest
// release by semver precedence (a commit tagged v1.9.0 and v1.10.0 is
// 1.10.0, and a plain "latest" beside a version loses), else the first in
// byte order. Ties, such as "1.2.3" and "v1.2.3", go to the first too.
// Sorting here, not trusting git's order, keeps the choice independent of
// the user's tag.sort setting.
func pickTag(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	slices.Sort(tags)
	best, bestV := "", (*Version)(nil)
	for _, t := range tags {
		v := ParseRelease(t)
		if v != nil && (bestV == nil || compareVersions(v, bestV) > 0) {
			best, bestV = t, v
		}
	}
	if best == "" {
		return tags[0]
	}
	return best
}

// Origin is the web address of the repository at dir, from its origin
// remote (SourceURL); "" without git, a repository or an origin.
func Origin(ctx context.Context, dir string) string {
	url, err := gitRepo{dir: dir}.run(ctx, "remote", "get-url", "origin")
	if err != nil {
		return ""
	}
	return SourceURL(url)
}

// SourceURL makes a git remote URL a web address: git@host:o/r.git and
// ssh://git@host[:port]/o/r.git become https://host/o/r, an https URL
// loses its credentials and .git. A local path or another scheme is "".
func SourceURL(remote string) string {
	remote = strings.TrimSpace(remote)
	var host, path string
	switch {
	case strings.HasPrefix(remote, "https://"), strings.HasPrefix(remote, "http://"),
		strings.HasPrefix(remote, "ssh://"), strings.HasPrefix(remote, "git://"),
		strings.HasPrefix(remote, "git+ssh://"):
		u, err := url.Parse(remote)
		if err != nil || u.Hostname() == "" {
			return ""
		}
		host, path = u.Hostname(), u.Path
		if u.Scheme == "https" || u.Scheme == "http" {
			host = u.Host // a web port is part of the address
		}
	case !strings.Contains(remote, "://") && strings.Contains(remote, ":"):
		// scp-like: [user@]host:path
		h, p, _ := strings.Cut(remote, ":")
		if strings.Contains(h, "/") || len(h) == 1 {
			return "" // a local path with a colon in it, or C:/...
		}
		if _, after, ok := strings.Cut(h, "@"); ok {
			h = after
		}
		host, path = h, p
	default:
		return ""
	}
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	if host == "" || path == "" {
		return ""
	}
	return "https://" + host + "/" + path
}
