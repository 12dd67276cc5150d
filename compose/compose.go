// Package compose moves docker-compose files off deprecated alias tags.
//
// Images published under per-architecture alias tags (brewblox/ui:rpi-edge)
// are also published under one canonical multi-platform tag
// (brewblox/ui:edge). Rewrite changes the image references of a compose
// file from the former to the latter; Merge folds per-architecture variants
// of one compose file into one; Diff shows what changed.
//
// Rewrite edits the file's bytes, not a re-encoded YAML tree: yaml.v3's
// encoder re-indents, re-quotes and moves comments, and a file that users
// maintain by hand must come back as they wrote it. The yaml.v3 Node tree
// only finds the image scalars; their new text is spliced into the source at
// the nodes' positions, and every other byte is kept.
package compose

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Rule maps the alias tags of one repository back to canonical tags.
type Rule struct {
	Repository string  // normalized, e.g. docker.io/brewblox/ui or ghcr.io/acme/api
	Aliases    []Alias // prefix/suffix pairs
	// Publishes tells whether the spec publishes a canonical tag of the
	// repository. A literal alias tag is rewritten only to a tag it
	// publishes; nil publishes every tag. A tag around a variable
	// (rpi-${RELEASE}) is assumed to name a tag that was published, and
	// so to have a canonical one.
	Publishes func(tag string) bool
}

// Alias is a deprecated form of every tag: Prefix+tag+Suffix
// (see spec.Alias).
type Alias struct{ Prefix, Suffix string }

// Change is one rewritten reference.
type Change struct {
	Service      string // the compose service name (services.<name>.image), or the YAML path
	Line, Column int    // 1-based position of the image value in the input
	From, To     string // the references as written, e.g. brewblox/ui:rpi-edge -> brewblox/ui:edge
	// Fold is set for a Docker Official Image's per-architecture
	// repository folded into the multi-platform one (arm32v7/python ->
	// python), which only Options.FoldArch does.
	Fold bool
}

// Note is an image reference left alone for a reason worth telling: an
// alias whose canonical tag the spec does not publish, or an
// interpolated value of a form Rewrite does not handle.
type Note struct {
	Service      string
	Line, Column int
	Value        string
	Reason       string
	// Unhandled is set for an interpolated value that may hold an alias
	// but that Rewrite cannot rewrite safely: a user should hear of it
	// even when not asking for details.
	Unhandled bool
}

// unpublished begins the reason of a Note about a canonical tag the
// spec does not publish.
const unpublished = "the spec does not publish the canonical tag"

// Options change what Rewrite rewrites.
type Options struct {
	// FoldArch also rewrites the per-architecture repositories of Docker
	// Official Images (arm32v6/rabbitmq:alpine) to the multi-platform
	// image they are builds of (rabbitmq:alpine).
	FoldArch bool
}

// Result is a rewritten file: Out is the new text, Changes what changed,
// in source order, and Notes what was left alone and why.
type Result struct {
	Out     []byte
	Changes []Change
	Notes   []Note
}

// Rewrite returns src with every image reference of the spec's
// repositories (normalized with reference.ParseNormalizedNamed) whose tag
// is an alias replaced by the canonical tag; see RewriteWith.
func Rewrite(src []byte, rules []Rule) (out []byte, changes []Change, err error) {
	r, err := RewriteWith(src, rules, Options{})
	if err != nil {
		return nil, nil, err
	}
	return r.Out, r.Changes, nil
}

// RewriteWith rewrites the `image:` values of every service, and of every
// mapping inside an x- extension field, whose repository matches a rule
// and whose tag is an alias (has the prefix and suffix, and something
// left in between), to the canonical tag; the repository is kept as the
// user wrote it (brewblox/ui stays brewblox/ui). A tag with several
// aliases (rpi-1.2-armhf) loses all of them, so a second run changes
// nothing.
//
// Interpolated tags follow the compose specification's grammar: the alias
// around a variable is dropped (rpi-${RELEASE}, rpi-$RELEASE and
// ${RELEASE}-armhf become ${RELEASE}), and so is the alias of a default
// (${RELEASE:-rpi-stable} becomes ${RELEASE:-stable}); $$ is a literal $.
// Other interpolated forms are left alone with a Note.
//
// Images pinned by digest, without a tag, or of other repositories are
// left alone, and so is every other byte of src: comments, blank lines,
// key order, quoting style, anchors, aliases and merge keys. An image that
// several services share through an anchor is rewritten once, at the
// anchor, and its Change names the anchor's YAML path. Every edit is made
// only where the parsed value is found in the source, and the result is
// parsed again and checked to hold exactly the new values.
//
// When nothing changes, Out is src itself.
func RewriteWith(src []byte, rules []Rule, opts Options) (*Result, error) {
	repos, err := compileRules(rules)
	if err != nil {
		return nil, err
	}
	docs, err := parse(src)
	if err != nil {
		return nil, err
	}
	lines := lineStarts(src)
	res := &Result{Out: src}
	var edits []edit
	var want []string // the value of every site after the rewrite
	for _, doc := range docs {
		sites, err := imageSites(doc)
		if err != nil {
			return nil, err
		}
		for _, s := range sites {
			to, fold, reason := repos.canonical(s.node.Value, opts.FoldArch)
			if reason != "" {
				res.Notes = append(res.Notes, Note{Service: s.service, Line: s.node.Line, Column: s.node.Column, Value: s.node.Value,
					Reason: reason, Unhandled: !strings.HasPrefix(reason, unpublished)})
			}
			if to == "" || to == s.node.Value {
				want = append(want, s.node.Value)
				continue
			}
			e, err := spliceScalar(src, lines, s.node, to)
			if err != nil {
				return nil, err
			}
			edits = append(edits, e)
			want = append(want, to)
			line, col := position(src, lines, e.start)
			res.Changes = append(res.Changes, Change{
				Service: s.service,
				Line:    line,
				Column:  col,
				From:    s.node.Value,
				To:      to,
				Fold:    fold,
			})
		}
	}
	if len(edits) == 0 {
		return res, nil
	}
	sortEdits(edits)
	sort.SliceStable(res.Changes, func(i, j int) bool {
		a, b := res.Changes[i], res.Changes[j]
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	var b bytes.Buffer
	last := 0
	for _, e := range edits {
		if e.start < last {
			// Sites are deduplicated by node, so two edits of one span
			// would mean two nodes claim the same bytes: a bug, not input.
			l, c := position(src, lines, e.start)
			return nil, &PosError{Line: l, Column: c, Msg: "overlapping edits"}
		}
		b.Write(src[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(src[last:])
	res.Out = b.Bytes()
	if err := recheck(res.Out, want); err != nil {
		return nil, err
	}
	return res, nil
}

func sortEdits(edits []edit) {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
}

// recheck parses the rewritten text and checks that its image values are
// want, in order: a splice that landed anywhere else is refused before
// anything is written.
func recheck(out []byte, want []string) error {
	docs, err := parse(out)
	if err != nil {
		return fmt.Errorf("the rewritten file does not parse (%v); refusing to write it", err)
	}
	var got []*yaml.Node
	for _, doc := range docs {
		sites, err := imageSites(doc)
		if err != nil {
			return fmt.Errorf("the rewritten file is not a compose file (%v); refusing to write it", err)
		}
		for _, s := range sites {
			got = append(got, s.node)
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("the rewritten file has %d images where %d were expected; refusing to write it", len(got), len(want))
	}
	for i, n := range got {
		if n.Value != want[i] {
			return errAt(n, "the rewritten file holds %q where %q was meant; refusing to write it", n.Value, want[i])
		}
	}
	return nil
}
