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
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/distribution/reference"
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

// ruleSet is the rules indexed by normalized repository.
type ruleSet map[string]*Rule

// compileRules indexes the rules by normalized repository, so that a rule
// written in familiar form (brewblox/ui) still matches.
func compileRules(rules []Rule) (ruleSet, error) {
	repos := make(ruleSet, len(rules))
	for i, r := range rules {
		named, err := reference.ParseNormalizedNamed(r.Repository)
		if err != nil {
			return nil, fmt.Errorf("compose: rule %d: repository %q: %w", i, r.Repository, err)
		}
		if !reference.IsNameOnly(named) {
			return nil, fmt.Errorf("compose: rule %d: repository %q has a tag or digest", i, r.Repository)
		}
		if prev, ok := repos[named.Name()]; ok {
			merged := *prev
			merged.Aliases = append(append([]Alias(nil), prev.Aliases...), r.Aliases...)
			p1, p2 := prev.Publishes, r.Publishes
			if p1 != nil && p2 != nil {
				merged.Publishes = func(t string) bool { return p1(t) || p2(t) }
			} else {
				merged.Publishes = nil
			}
			repos[named.Name()] = &merged
			continue
		}
		r := r
		repos[named.Name()] = &r
	}
	return repos, nil
}

// archNamespaces are the Docker Hub namespaces of Docker Official Images
// built for one architecture: arm32v7/python is the arm/v7 build of the
// multi-platform library/python.
var archNamespaces = []string{"amd64", "arm32v5", "arm32v6", "arm32v7", "arm64v8", "i386", "mips64le", "ppc64le", "riscv64", "s390x", "windows-amd64"}

// canonical is the new value of the image value, or "" when it stays;
// reason says why an alias-like value stays.
func (rs ruleSet) canonical(value string, foldArch bool) (to string, fold bool, reason string) {
	if !strings.Contains(value, "$") {
		return rs.literal(value, foldArch)
	}
	return rs.interpolated(value, foldArch)
}

// literal handles a value without interpolation.
func (rs ruleSet) literal(value string, foldArch bool) (to string, fold bool, reason string) {
	named, err := reference.ParseNormalizedNamed(value)
	if err != nil {
		return "", false, ""
	}
	// A digest pins the content; rewriting the tag beside it would change
	// nothing that is pulled and only mislead the reader.
	if _, pinned := named.(reference.Digested); pinned {
		return "", false, ""
	}
	tagged, isTagged := named.(reference.Tagged)
	if !isTagged {
		return "", false, ""
	}
	tag := tagged.Tag()
	repo := value[:len(value)-len(tag)-1]
	if foldArch {
		if r, ok := foldRepository(repo); ok {
			return r + ":" + tag, true, ""
		}
	}
	rule, found := rs[named.Name()]
	if !found || !strings.HasSuffix(value, ":"+tag) {
		return "", false, ""
	}
	steps := rule.untag(tag)
	if len(steps) == 0 {
		return "", false, ""
	}
	// The most canonical tag the spec publishes: later steps drop more
	// aliases. A second run finds none published beyond it.
	for i := len(steps) - 1; i >= 0; i-- {
		if rule.Publishes == nil || rule.Publishes(steps[i]) {
			return repo + ":" + steps[i], false, ""
		}
	}
	return "", false, fmt.Sprintf(unpublished+" %q", steps[len(steps)-1])
}

// untag drops the aliases of tag one at a time, the most specific first
// (rpi-arm- before rpi-), and returns every tag on the way; none when tag
// is no alias. Each step is a valid tag.
func (r *Rule) untag(tag string) []string {
	var steps []string
	for len(steps) <= len(tag) {
		next, ok := r.strip(tag, true)
		if !ok {
			break
		}
		steps = append(steps, next)
		tag = next
	}
	return steps
}

// strip drops the most specific alias from s. With whole, s is a tag and
// something must be left, forming a valid tag; otherwise s is the text
// around a variable, whose prefix is s's start and suffix its end.
func (r *Rule) strip(s string, whole bool) (string, bool) {
	best := -1
	for i, a := range r.Aliases {
		if a.Prefix == "" && a.Suffix == "" {
			continue // the identity alias maps every tag to itself
		}
		if len(s) < len(a.Prefix)+len(a.Suffix) || whole && len(s) == len(a.Prefix)+len(a.Suffix) ||
			!strings.HasPrefix(s, a.Prefix) || !strings.HasSuffix(s, a.Suffix) {
			continue
		}
		if whole && !tagRE.MatchString(s[len(a.Prefix):len(s)-len(a.Suffix)]) {
			continue // rpi--x would leave -x, which is no tag at all
		}
		if best < 0 || len(a.Prefix)+len(a.Suffix) > len(r.Aliases[best].Prefix)+len(r.Aliases[best].Suffix) {
			best = i
		}
	}
	if best < 0 {
		return s, false
	}
	a := r.Aliases[best]
	return s[len(a.Prefix) : len(s)-len(a.Suffix)], true
}

// tagRE is the grammar of a tag (reference.TagRegexp, anchored).
var tagRE = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)

// foldRepository is repo (as written) with a per-architecture namespace
// of Docker Hub replaced by the library one: arm32v6/rabbitmq becomes
// rabbitmq, docker.io/arm64v8/python docker.io/library/python.
func foldRepository(repo string) (string, bool) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil || reference.Domain(named) != "docker.io" {
		return "", false
	}
	ns, name, ok := strings.Cut(reference.Path(named), "/")
	if !ok || strings.Contains(name, "/") || !slices.Contains(archNamespaces, ns) {
		return "", false
	}
	if strings.HasPrefix(repo, ns+"/") {
		return name, true
	}
	return strings.TrimSuffix(repo, ns+"/"+name) + "library/" + name, true
}

// interpolated handles a value with $: a literal repository, a colon and
// a tag template.
func (rs ruleSet) interpolated(value string, foldArch bool) (to string, fold bool, reason string) {
	dollar := strings.IndexByte(value, '$')
	colon := strings.LastIndexByte(value[:dollar], ':')
	if colon < 0 || strings.ContainsAny(value[colon:], "/@") {
		return "", false, rs.unhandled(value, "the repository or digest is interpolated")
	}
	repo, tmpl := value[:colon], value[colon+1:]
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil || !reference.IsNameOnly(named) {
		return "", false, ""
	}
	toks, ok := tokenize(tmpl)
	if !ok {
		return "", false, rs.unhandled(value, "invalid interpolation")
	}
	newRepo := repo
	if foldArch {
		if r, ok := foldRepository(repo); ok {
			newRepo, fold = r, true
		}
	}
	rule, found := rs[named.Name()]
	if !found {
		if fold {
			return newRepo + ":" + tmpl, true, ""
		}
		return "", false, ""
	}
	newToks, why := rule.untemplate(toks)
	if why != "" {
		return "", false, why
	}
	newTmpl := join(newToks)
	if newTmpl != tmpl && !checkTemplate(toks, newToks) {
		return "", false, "compose reads this interpolation differently from bricklayer"
	}
	if newTmpl == tmpl {
		if fold {
			return newRepo + ":" + tmpl, true, ""
		}
		return "", false, ""
	}
	return newRepo + ":" + newTmpl, fold, ""
}

// unhandled is the note for an interpolated value that may hold an alias.
func (rs ruleSet) unhandled(value, why string) string {
	for _, r := range rs {
		for _, a := range r.Aliases {
			if a.Prefix != "" && strings.Contains(value, a.Prefix) || a.Suffix != "" && strings.Contains(value, a.Suffix) {
				return why
			}
		}
	}
	return ""
}

// untemplate drops the aliases around the variables of a tag template,
// then those of a lone variable's default. why says why a template that
// looks like an alias is left alone.
func (r *Rule) untemplate(toks []token) (out []token, why string) {
	first, last := -1, -1
	for i, t := range toks {
		if t.name != "" {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	lead, trail := "", ""
	if first > 0 {
		lead = toks[0].lit
	}
	if last < len(toks)-1 {
		trail = toks[len(toks)-1].lit
	}
	if strings.Contains(lead+trail, "$") {
		return toks, ""
	}
	around := lead + "\x00" + trail
	for {
		next, ok := r.strip(around, false)
		if !ok || !strings.Contains(next, "\x00") {
			break
		}
		around = next
	}
	newLead, newTrail, _ := strings.Cut(around, "\x00")
	var out2 []token
	if newLead != "" {
		out2 = append(out2, literalToken(newLead))
	}
	out2 = append(out2, toks[first:last+1]...)
	if newTrail != "" {
		out2 = append(out2, literalToken(newTrail))
	}
	// A lone variable with a literal default: the default is a tag.
	if len(out2) == 1 && (out2[0].op == ":-" || out2[0].op == "-") && !strings.Contains(out2[0].arg, "$") {
		t := out2[0]
		if steps := r.untag(t.arg); len(steps) > 0 {
			for i := len(steps) - 1; i >= 0; i-- {
				if r.Publishes == nil || r.Publishes(steps[i]) {
					t.arg = steps[i]
					t.raw = "${" + t.name + t.op + t.arg + "}"
					return []token{t}, ""
				}
			}
			if newLead == lead && newTrail == trail {
				return toks, fmt.Sprintf(unpublished+" %q of the default", steps[len(steps)-1])
			}
		}
	}
	for _, t := range toks[first : last+1] {
		if t.op != "" && t.op != ":-" && t.op != "-" && (newLead != lead || newTrail != trail) {
			return toks, fmt.Sprintf("${%s%s...} around an alias is not handled", t.name, t.op)
		}
	}
	return out2, ""
}

// parse decodes every document of src.
func parse(src []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, syntaxError(src, err)
		}
		docs = append(docs, &doc)
	}
}

// site is an image scalar and the name it is reported under.
type site struct {
	node    *yaml.Node
	service string
}

// imageSites finds the image scalars of the services of doc, each once even
// when several services reach it through aliases or merge keys.
func imageSites(doc *yaml.Node) ([]site, error) {
	root := deref(doc)
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		root = deref(root.Content[0])
	}
	if isNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root, "the document is not a mapping")
	}
	top, err := pairs(root)
	if err != nil {
		return nil, err
	}
	var extension []*yaml.Node
	paths := definitionPaths(root)
	seen := map[*yaml.Node]bool{}
	var sites []site
	add := func(img *yaml.Node, name string) {
		if !seen[img] {
			seen[img] = true
			sites = append(sites, site{node: img, service: name})
		}
	}
	services := lookup(top, "services")
	if services != nil && !isNull(services) {
		if services.Kind != yaml.MappingNode {
			return nil, errAt(services, "services is not a mapping")
		}
		svcs, err := pairs(services)
		if err != nil {
			return nil, err
		}
		for _, svc := range svcs {
			body := deref(svc.value)
			if isNull(body) {
				continue
			}
			if body.Kind != yaml.MappingNode {
				return nil, errAt(body, "service %q is not a mapping", svc.key)
			}
			fields, err := pairs(body)
			if err != nil {
				return nil, err
			}
			img := lookup(fields, "image")
			if img == nil || isNull(img) {
				continue
			}
			if img.Kind != yaml.ScalarNode {
				return nil, errAt(img, "image of service %q is not a string", svc.key)
			}
			// Report the service by name when the image is its own; a
			// shared one by where it is defined, since that is the line
			// that changes.
			name := svc.key
			if p := paths[img]; !slices.Equal(p, []string{"services", svc.key, "image"}) {
				name = strings.Join(p, ".")
			}
			add(img, name)
		}
	}
	// Extension fields (x-...), at the top and in services, hold what
	// their authors make of them; an image: string in them is taken for
	// an image, wherever it is nested.
	for n, p := range paths {
		if len(p) == 0 || p[len(p)-1] != "image" || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			continue
		}
		for _, k := range p[:len(p)-1] {
			if strings.HasPrefix(k, "x-") {
				extension = append(extension, n)
				break
			}
		}
	}
	sort.Slice(extension, func(i, j int) bool {
		a, b := extension[i], extension[j]
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	for _, n := range extension {
		add(n, strings.Join(paths[n], "."))
	}
	return sites, nil
}

// pair is a key of a mapping and its value.
type pair struct {
	key   string
	value *yaml.Node
}

// pairs is the content of mapping m as a compose reader sees it: merge keys
// (<<: *x, <<: [*a, *b]) resolved, the mapping's own keys winning over
// merged ones and earlier merged mappings over later ones, as the YAML
// merge key type says.
func pairs(m *yaml.Node) ([]pair, error) {
	return mergedPairs(deref(m), map[*yaml.Node]bool{})
}

func mergedPairs(m *yaml.Node, visiting map[*yaml.Node]bool) ([]pair, error) {
	// yaml.v3 registers an anchor before its content, so &a {<<: *a}
	// parses into a cycle.
	if visiting[m] {
		return nil, errAt(m, "mapping merges itself")
	}
	visiting[m] = true
	defer delete(visiting, m)
	var out []pair
	seen := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key := deref(k).Value
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, pair{key, v})
	}
	for _, mv := range merges {
		mv = deref(mv)
		sources := []*yaml.Node{mv}
		if mv.Kind == yaml.SequenceNode {
			sources = mv.Content
		}
		for _, s := range sources {
			s = deref(s)
			if s.Kind != yaml.MappingNode {
				return nil, errAt(s, "merge key value is not a mapping")
			}
			sub, err := mergedPairs(s, visiting)
			if err != nil {
				return nil, err
			}
			for _, p := range sub {
				if !seen[p.key] {
					seen[p.key] = true
					out = append(out, p)
				}
			}
		}
	}
	return out, nil
}

// lookup is the dereferenced value of key, or nil.
func lookup(ps []pair, key string) *yaml.Node {
	for _, p := range ps {
		if p.key == key {
			return deref(p.value)
		}
	}
	return nil
}

// deref follows aliases to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// definitionPaths maps every node to the key path where it is written,
// without following aliases: the path of a shared node is its anchor's.
func definitionPaths(root *yaml.Node) map[*yaml.Node][]string {
	paths := map[*yaml.Node][]string{}
	var walk func(n *yaml.Node, path []string)
	walk = func(n *yaml.Node, path []string) {
		if n.Kind == yaml.AliasNode {
			return
		}
		paths[n] = path
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], append(path[:len(path):len(path)], n.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, append(path[:len(path):len(path)], fmt.Sprintf("%d", i)))
			}
		}
	}
	walk(root, nil)
	return paths
}
