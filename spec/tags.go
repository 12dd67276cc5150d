package spec

import (
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"

	"github.com/bricklayer-build/bricklayer/buildinfo"
)

// tagRules are the policy and aliases in effect for an image, with where
// they are written.
type tagRules struct {
	policy     *rawPolicy
	policyLoc  loc
	aliases    []rawAlias
	aliasesLoc loc
}

// rulesFor picks the image's own policy and aliases, else the top-level.
func rulesFor(r rawImage, where loc, top tagRules) tagRules {
	out := top
	if r.Policy != nil {
		out.policy, out.policyLoc = r.Policy, where.child("policy")
	}
	if r.Aliases != nil {
		out.aliases, out.aliasesLoc = *r.Aliases, where.child("aliases")
	}
	return out
}

// tags computes the image's tags: its own (already in im.Tags), those its
// policy yields for the build, and the aliases of all of them. Every
// result goes through the same checks, at the place that produced it.
func (d *decoder) tags(im *Image, repo reference.Named, rules tagRules) {
	seen := map[string]bool{}
	for _, t := range im.Tags {
		seen[t] = true
	}
	if p := rules.policy; p != nil {
		im.Policy = Policy{Branch: p.Branch, Semver: p.Semver, CalVer: p.CalVer, SHA: p.SHA, PullRequest: p.PullRequest, Moving: p.Moving}
		for _, pt := range policyTags(im.Policy, d.build, rules.policyLoc) {
			if seen[pt.tag] {
				continue // also listed in tags
			}
			if d.checkTag(pt.tag, repo, pt.where) {
				seen[pt.tag] = true
				im.Tags = append(im.Tags, pt.tag)
				im.tagLocs = append(im.tagLocs, pt.where)
			}
		}
		if d.build.Tag != "" && d.build.Version == nil {
			// Silence here let a CalVer tag pass as a branch build
			// and latest move backwards; say it, whatever the switches.
			d.errs.warn(rules.policyLoc, "git tag %q is no release: neither semver (1.2.3, v1.2.3-rc.1) nor CalVer (2026.07.2) reads it, so the policy yields no version tags", d.build.Tag)
		}
		if len(im.Tags) == 0 && d.build.Version != nil {
			// Say why it is a release: on a branch, a user expects the
			// branch tag and does not see the commit's release tag.
			why := "the commit carries release tag " + d.build.Tag
			if d.build.Branch != "" {
				why += ", and a release tag wins over the branch (" + d.build.Branch + ")"
			}
			d.errs.at(rules.policyLoc, "the policy yields no tag for release %s: %s: enable %s, or list tags", d.build.Tag, why, d.build.Version.Scheme)
		}
	}
	for i, a := range rules.aliases {
		al := rules.aliasesLoc.child(strconv.Itoa(i))
		if !d.checkAlias(a, al) {
			continue
		}
		im.Aliases = append(im.Aliases, Alias(a))
		for _, t := range im.Tags {
			name := Alias(a).Apply(t)
			if seen[name] {
				d.errs.at(al, "alias %q of tag %q is also a tag of the image", name, t)
				continue
			}
			if !d.checkTag(name, repo, al) {
				break // one report for the alias, not one per tag
			}
			seen[name] = true
			im.AliasTags = append(im.AliasTags, name)
			im.aliasLocs = append(im.aliasLocs, al)
		}
	}
}

// checkTag reports an invalid tag at where.
func (d *decoder) checkTag(tag string, repo reference.Named, where loc) bool {
	switch {
	case strings.ContainsAny(tag, "/:@") && tag != "":
		d.errs.at(where, "tag %q names a repository or digest; a tag is the part after ':' (the repository is the image's)", tag)
		return false
	case !validTag(tag):
		d.errs.at(where, "invalid tag %q: a tag is 1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", tag)
		return false
	}
	if repo != nil {
		if _, err := reference.WithTag(repo, tag); err != nil {
			d.errs.at(where, "invalid tag %q: %v", tag, err)
			return false
		}
	}
	return true
}

// checkAlias validates an alias and warns (or, strict, fails) after its
// end date.
func (d *decoder) checkAlias(a rawAlias, where loc) bool {
	if a.Prefix == "" && a.Suffix == "" {
		d.errs.at(where, "an alias needs a prefix or a suffix")
		return false
	}
	if a.Until == "" {
		return true
	}
	until, err := time.Parse(time.DateOnly, a.Until)
	if err != nil {
		d.errs.at(where.child("until"), "invalid date %q: want YYYY-MM-DD", a.Until)
		return false
	}
	today, err := time.Parse(time.DateOnly, d.build.Date)
	if err != nil || !today.After(until) {
		return true
	}
	name := a.Prefix + "TAG" + a.Suffix
	if a.Strict {
		d.errs.at(where.child("until"), "alias %s expired on %s (strict): remove it, or move until", name, a.Until)
		return false
	}
	d.errs.warn(where.child("until"), "alias %s expired on %s: remove it, or move until (strict makes this an error)", name, a.Until)
	return true
}

type policyTag struct {
	tag   string
	where loc
}

// policyTags are the tags a policy yields for a build, each located at
// the policy switch that produced it.
func policyTags(p Policy, b *buildinfo.Info, where loc) []policyTag {
	var out []policyTag
	add := func(field, tag string) { out = append(out, policyTag{tag, where.child(field)}) }
	release := b.Version != nil
	// Each scheme's switch yields the tags of its releases only, the
	// moving tag included: a policy of semver alone does not move
	// latest to a CalVer release.
	read := release && map[string]bool{buildinfo.SchemeSemver: p.Semver, buildinfo.SchemeCalVer: p.CalVer}[b.Version.Scheme]
	if read {
		for _, t := range b.Version.Tags() {
			add(b.Version.Scheme, t)
		}
	}
	// Only the highest release takes the moving tag: a v1.9.1 made
	// after v2.0.1 must not become latest.
	if p.Moving != "" && read && b.Latest {
		add("moving", p.Moving)
	}
	// A release build is not a branch build, wherever it runs: a CI's
	// tag build knows no branch, and a local build of a tagged commit on
	// main must publish what CI would. Tags can still name
	// build.branchTag.
	if p.Branch && b.BranchTag != "" && b.PullRequest == "" && !release {
		add("branch", b.BranchTag)
	}
	if p.PullRequest && b.PullRequest != "" {
		add("pullRequest", "pr-"+b.PullRequest)
	}
	if p.SHA && b.ShortSHA != "" {
		add("sha", "sha-"+b.ShortSHA)
	}
	return out
}
