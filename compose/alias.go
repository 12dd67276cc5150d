package compose

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

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
		if t := s[len(a.Prefix) : len(s)-len(a.Suffix)]; whole && (len(t) > 128 || !tagRE().MatchString(t)) {
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

// tagRE is the grammar of a tag (reference.TagRegexp, anchored), but its
// length, at most 128, checked apart: a counted repetition costs start-up.
var tagRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w][\w.-]*$`) })

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
