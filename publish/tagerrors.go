package publish

import (
	"fmt"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
)

// listed is how many references an error message names before it says
// how many more there are: a release of hundreds of tags must still fail
// on one readable line. The full lists are in the error's fields.
const listed = 10

// refList joins refs, naming the first few and counting the rest.
func refList(refs []string) string {
	if len(refs) <= listed {
		return strings.Join(refs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(refs[:listed], ", "), len(refs)-listed)
}

// TagLeft is a tag that a failed move could not put back: it may still
// point at the index it was moved to.
type TagLeft struct {
	// Ref is the tag as its job named it: repository:tag.
	Ref string `json:"tag"`
	// Index is the index it was moved to.
	Index digest.Digest `json:"index"`
	// Was is where it pointed before the move; empty when it did not
	// exist (and deleting it again failed).
	Was digest.Digest `json:"was,omitempty"`
	// Err is why putting it back failed.
	Err string `json:"error"`
}

func (l TagLeft) String() string {
	if l.Was == "" {
		return fmt.Sprintf("%s (did not exist; deleting it: %s)", l.Ref, l.Err)
	}
	return fmt.Sprintf("%s (was %s): %s", l.Ref, l.Was, l.Err)
}

// TagMoveError is a failure while moving tags, after which every tag
// moved was put back where it pointed before, or, when Unrestored is not
// empty, some could not be.
type TagMoveError struct {
	// Tag is the reference whose move failed, Err why.
	Tag string
	Err error
	// Total is how many tags the run was to move.
	Total int
	// Restored were (or, for moves whose request failed, may have been)
	// moved and now point where they did before; Deleted did not exist
	// before and were deleted again. Each lists the moves the registry
	// answered, newest first, then those whose request failed or was
	// given up, newest first.
	Restored, Deleted []string
	// Unrestored could not be put back.
	Unrestored []TagLeft
}

// RolledBack tells whether every tag points where it did before the run.
func (e *TagMoveError) RolledBack() bool { return len(e.Unrestored) == 0 }

func (e *TagMoveError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "moving %s: %v", e.Tag, e.Err)
	if e.RolledBack() {
		b.WriteString("; every tag points where it pointed before")
	} else {
		refs := make([]string, len(e.Unrestored))
		for i, l := range e.Unrestored {
			refs[i] = l.Ref
		}
		fmt.Fprintf(&b, "; %d of %d tags NOT PUT BACK, so they may still point at the new index: %s", len(refs), e.Total, refList(refs))
	}
	if len(e.Restored) > 0 {
		fmt.Fprintf(&b, "; put back: %s", refList(e.Restored))
	}
	if len(e.Deleted) > 0 {
		fmt.Fprintf(&b, "; deleted again: %s", refList(e.Deleted))
	}
	return b.String()
}

// Kind is TagsLeft when the roll-back could not put every tag back, and
// a failed push otherwise: every tag points where it did.
func (e *TagMoveError) Kind() errkind.Kind {
	if e.RolledBack() {
		return errkind.Build
	}
	return errkind.TagsLeft
}

func (e *TagMoveError) Unwrap() error { return e.Err }

// Details is one line per tag on what became of it, for a reader who
// asked for the whole list.
func (e *TagMoveError) Details() []string {
	var out []string
	for _, l := range e.Unrestored {
		out = append(out, "NOT PUT BACK "+l.String())
	}
	for _, r := range e.Restored {
		out = append(out, "put back "+r)
	}
	for _, r := range e.Deleted {
		out = append(out, "deleted again "+r)
	}
	return out
}

// TagAt is a tag as it was read back after moving.
type TagAt struct {
	// Ref is the tag as its job named it: repository:tag.
	Ref string `json:"tag"`
	// Digest is what it points at; empty when there is no such tag.
	Digest digest.Digest `json:"digest,omitempty"`
	// Err is why it could not be read.
	Err string `json:"error,omitempty"`
}

// TagRaceError is tags that, read back once every tag was moved, do not
// point at the index they were moved to: another release moved (or
// deleted) them at the same time. Nothing is put back, since that could
// undo the other release; running the release that should win again
// settles it.
type TagRaceError struct {
	// Total is how many tags were moved.
	Total int
	// Elsewhere point somewhere else (or nowhere); Unread could not be
	// read back.
	Elsewhere, Unread []TagAt
}

func (e *TagRaceError) Error() string {
	var b strings.Builder
	if len(e.Elsewhere) > 0 {
		fmt.Fprintf(&b, "read back after moving, %d of %d tags point elsewhere, so another release moved them at the same time: ", len(e.Elsewhere), e.Total)
		// Grouped by where they point, in the order first seen.
		var order []digest.Digest
		by := map[digest.Digest][]string{}
		for _, t := range e.Elsewhere {
			if _, ok := by[t.Digest]; !ok {
				order = append(order, t.Digest)
			}
			by[t.Digest] = append(by[t.Digest], t.Ref)
		}
		for i, d := range order {
			if i > 0 {
				b.WriteString("; ")
			}
			at := "at " + d.String()
			if d == "" {
				at = "deleted"
			}
			fmt.Fprintf(&b, "%s %s", refList(by[d]), at)
		}
		b.WriteString("; run the release that should win again")
	}
	if len(e.Unread) > 0 {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		refs := make([]string, len(e.Unread))
		for i, t := range e.Unread {
			refs[i] = t.Ref
		}
		fmt.Fprintf(&b, "every tag was moved, but %d of %d could not be read back (%s): %s; run again to make sure", len(refs), e.Total, e.Unread[0].Err, refList(refs))
	}
	return b.String()
}

// Details is one line per tag that is not where it was moved to.
func (e *TagRaceError) Details() []string {
	var out []string
	for _, t := range e.Elsewhere {
		if t.Digest == "" {
			out = append(out, "elsewhere "+t.Ref+" (deleted)")
		} else {
			out = append(out, "elsewhere "+t.Ref+" at "+t.Digest.String())
		}
	}
	for _, t := range e.Unread {
		out = append(out, "unread "+t.Ref+": "+t.Err)
	}
	return out
}
