package buildinfo

import "strings"

// maxTagLen is the longest tag the OCI distribution spec allows.
const maxTagLen = 128

// SanitizeBranch makes a branch name a valid OCI tag, keeping every
// character the tag grammar allows: letters (lowered), digits, '_', '.'
// and '-'; '/', ':' and any other character become '-' (one per
// character, not per byte of its UTF-8 form); leading '.' and '-' are
// dropped, since a tag may not start with them; it is cut to 128
// characters. feature/Rpi_Tags becomes feature-rpi_tags. "" stays "".
//
// This is docker/metadata-action's rule for branch tags (characters
// outside [a-zA-Z0-9._-] become '-'), except that letters are lowered,
// as registries such as Docker Hub show tags, and runs of '-' are kept.
// The result may be "" for a name made only of such characters (e.g.
// "..." or "éé"); callers treat that as "no branch tag".
func SanitizeBranch(branch string) string {
	var b strings.Builder
	b.Grow(len(branch))
	for _, r := range branch {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
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
