package buildinfo

import "strings"

// maxTagLen is the longest tag the OCI distribution spec allows.
const maxTagLen = 128

// SanitizeBranch makes a branch name a valid OCI tag: '/', '_', ':' and any
// other character outside [a-z0-9.-] become '-', upper case is lowered,
// leading '.' and '-' are dropped, runs of '-' may stay, and it is cut to
// 128 characters. "" stays "".
//
// The result may be "" for a name made only of such leading characters
// (e.g. "..." or "éé"); callers treat that as "no branch tag".
//
// '_' is valid in a tag but is replaced all the same, so that the tags of
// "feature_x" and "feature-x" are equally predictable to a user who only
// has to remember one rule. A non-ASCII character becomes one '-', not
// one per byte of its UTF-8 form.
func SanitizeBranch(branch string) string {
	var b strings.Builder
	b.Grow(len(branch))
	for _, r := range branch {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	// A tag must start with a letter, digit or '_'; with '_' replaced,
	// that leaves a letter or digit. Trimming happens after replacement
	// so that "/x" or "_x" lose the '-' they became.
	s := strings.TrimLeft(b.String(), ".-")
	if len(s) > maxTagLen {
		s = s[:maxTagLen] // all ASCII by now, so bytes are characters
	}
	return s
}

// shortSHA is the abbreviation of a commit hash used in tags: 7
// characters, git's historical default, fixed here so that tags do not
// change length with the size of the repository as `git rev-parse
// --short` would.
func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
