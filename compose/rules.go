package compose

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

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
		// arm32v6/traefik is arm32v6/traefik:latest, the arm/v6 build of
		// traefik:latest; it stays without a tag, as written.
		if foldArch {
			if r, ok := foldRepository(value); ok {
				return r, true, ""
			}
		}
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
