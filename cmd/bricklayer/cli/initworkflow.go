package cli

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/bricklayer-build/bricklayer/internal/workflowscan"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/ref"
)

// ciBuilds are the workflow builds of one Dockerfile (or family) init
// found, and what they say in common.
type ciBuilds struct {
	builds    []workflowscan.Build
	platforms []string // normalised, in the order CI lists them
}

// matchBuilds gives each found Dockerfile the workflow builds of it and
// takes the context and Dockerfile path CI builds it with. Builds of a
// Dockerfile init did not find, or with their Dockerfile outside their
// context, are reported.
func matchBuilds(found []foundDockerfile, res *workflowscan.Result) {
	for _, b := range res.Builds {
		i := slices.IndexFunc(found, func(f foundDockerfile) bool { return builds(f, b.Dockerfile) })
		if i < 0 {
			res.Dropped = append(res.Dropped, workflowscan.Dropped{Pos: b.Pos, What: b.How + " of " + b.Dockerfile,
				Why: "init found no such Dockerfile below here, or it is in a directory init skips"})
			continue
		}
		f := &found[i]
		if f.ci == nil {
			f.ci = &ciBuilds{}
		}
		f.ci.builds = append(f.ci.builds, b)
		for _, p := range b.Platforms {
			pl, err := platform.Parse(p.S)
			if err != nil {
				res.Dropped = append(res.Dropped, workflowscan.Dropped{Pos: p.Pos, What: "platform " + p.S, Why: err.Error()})
				continue
			}
			if s := pl.String(); !slices.Contains(f.ci.platforms, s) {
				f.ci.platforms = append(f.ci.platforms, s)
			}
		}
		// The first build of a plain Dockerfile says how CI builds it;
		// a family keeps its per-platform files.
		if len(f.ci.builds) > 1 || len(f.perPlatform) > 0 {
			continue
		}
		rel, ok := strings.CutPrefix(b.Dockerfile, b.Context+"/")
		if b.Context == "." {
			rel, ok = b.Dockerfile, true
		}
		if !ok {
			res.Dropped = append(res.Dropped, workflowscan.Dropped{Pos: b.Pos, What: "context " + b.Context + " of " + b.Dockerfile,
				Why: "the Dockerfile is outside its context: init builds it in " + f.context})
			continue
		}
		f.context, f.file = b.Context, rel
	}
}

// builds tells whether f (or a member of its family) is the Dockerfile
// at the slash path file.
func builds(f foundDockerfile, file string) bool {
	if len(f.perPlatform) == 0 {
		return f.path() == file
	}
	return slices.ContainsFunc(f.perPlatform, func(p platformFile) bool { return path.Join(p.context, p.file) == file })
}

// applyBuilds sets what the workflows say of each image init writes:
// its repository (unless --repository), args, target and tags, and a
// comment naming the builds. What it cannot carry is added to dropped.
func applyBuilds(images []starterImage, found []foundDockerfile, repoFlag, platFlag bool, res *workflowscan.Result) (notes []string) {
	taken := map[string]bool{}
	for _, im := range images {
		taken[im.name] = true
	}
	drop := func(p workflowscan.Pos, what, why string) {
		res.Dropped = append(res.Dropped, workflowscan.Dropped{Pos: p, What: what, Why: why})
	}
	for i := range images {
		ci := found[i].ci
		if ci == nil {
			continue
		}
		im := &images[i]
		first := ci.builds[0]
		if platFlag && len(ci.platforms) > 0 {
			drop(firstPos(ci), "platforms "+strings.Join(ci.platforms, ", "), "--platform wins")
		}
		repos, tags := splitTags(ci.builds, drop)
		if len(repos) > 0 {
			switch {
			case repoFlag && repos[0].S != im.repository:
				drop(repos[0].Pos, "repository "+repos[0].S, "--repository wins")
			case !repoFlag:
				im.repository = repos[0].S
				name := imageName(path.Base(repos[0].S))
				if name != im.name && !taken[name] {
					delete(taken, im.name)
					im.name, taken[name] = name, true
				}
			}
			for _, r := range repos[1:] {
				drop(r.Pos, "repository "+r.S, "an image has one repository in bricklayer.cue: "+repos[0].S)
			}
		}
		im.target = first.Target
		for _, b := range ci.builds {
			for _, a := range b.Args {
				j := slices.IndexFunc(im.args, func(x workflowscan.Arg) bool { return x.Name == a.Name })
				switch {
				case j < 0:
					im.args = append(im.args, a)
				case im.args[j].Value != a.Value:
					drop(a.Pos, "build arg "+a.Name+"="+a.Value, fmt.Sprintf("%s also sets %s=%s, which init kept", im.args[j].Pos, a.Name, im.args[j].Value))
				}
			}
			if b.Target != im.target {
				drop(b.Pos, "target "+b.Target, fmt.Sprintf("%s builds target %q, which init kept", first.Pos, im.target))
			}
			c := fmt.Sprintf("From %s (%s).", b.Pos, b.How)
			if !slices.Contains(im.notes, c) {
				im.notes = append(im.notes, c)
			}
			notes = append(notes, fmt.Sprintf("%s: %s of %s: image %s", b.Pos, b.How, b.Dockerfile, im.name))
		}
		im.tags, im.aliases = tagRules(im.repository, tags, drop)
	}
	return notes
}

// firstPos is where the first platform of ci is written.
func firstPos(ci *ciBuilds) workflowscan.Pos {
	for _, b := range ci.builds {
		if len(b.Platforms) > 0 {
			return b.Platforms[0].Pos
		}
	}
	return ci.builds[0].Pos
}

// splitTags splits the builds' tags into repositories (in order, once
// each; pushes by digest name theirs in outputs) and the tags of the
// first repository.
func splitTags(bs []workflowscan.Build, drop func(workflowscan.Pos, string, string)) (repos, tags []workflowscan.Value) {
	add := func(r workflowscan.Value) bool {
		if workflowscan.Unresolved(r.S) {
			drop(r.Pos, "repository "+r.S, "a repository CI computes: write it in bricklayer.cue")
			return false
		}
		if _, err := ref.ParseRepository(r.S); err != nil {
			drop(r.Pos, "repository "+r.S, err.Error())
			return false
		}
		if !slices.ContainsFunc(repos, func(x workflowscan.Value) bool { return x.S == r.S }) {
			repos = append(repos, r)
		}
		return true
	}
	type repoTag struct{ repo, tag workflowscan.Value }
	var all []repoTag
	for _, b := range bs {
		for _, t := range b.Tags {
			r, tag := splitRef(t.S)
			if add(workflowscan.Value{S: r, Pos: t.Pos}) {
				all = append(all, repoTag{workflowscan.Value{S: r, Pos: t.Pos}, workflowscan.Value{S: tag, Pos: t.Pos}})
			}
		}
		for _, n := range b.Names {
			add(n)
		}
	}
	for _, rt := range all {
		if len(repos) > 0 && rt.repo.S == repos[0].S {
			tags = append(tags, rt.tag)
		}
	}
	return repos, tags
}

// splitRef splits an image reference into its repository and tag
// (latest when it has none); a digest stays with the repository.
func splitRef(s string) (repo, tag string) {
	slash := strings.LastIndex(s, "/")
	if i := strings.LastIndex(s, ":"); i > slash && !strings.Contains(s, "@") {
		return s[:i], s[i+1:]
	}
	return s, "latest"
}

// tagRules turns CI's tags into the spec's: latest is the starter
// policy's moving tag; a tag that is another one with a prefix or suffix
// (rpi-latest beside latest, rpi-${TAG}, ${TAG}-armhf) is an alias; a
// tag CI computes is left to the policy, and reported; other literal
// tags are listed.
func tagRules(ref string, tags []workflowscan.Value, drop func(workflowscan.Pos, string, string)) (list []string, aliases []starterAlias) {
	literal := map[string]bool{"latest": true}
	for _, t := range tags {
		if !workflowscan.Unresolved(t.S) {
			literal[t.S] = true
		}
	}
	addAlias := func(a starterAlias) {
		if !slices.Contains(aliases, a) {
			aliases = append(aliases, a)
		}
	}
	isPrefix := func(p string) bool { return p != "" && strings.ContainsAny(p[len(p)-1:], "-_") }
	isSuffix := func(s string) bool { return s != "" && strings.ContainsAny(s[:1], "-_") }
	for _, t := range tags {
		if before, after, ok := workflowscan.Literal(t.S); ok {
			switch {
			case isPrefix(before) && after == "":
				addAlias(starterAlias{prefix: before})
			case isSuffix(after) && before == "":
				addAlias(starterAlias{suffix: after})
			default:
				drop(t.Pos, "tag "+ref+":"+t.S, "a tag CI computes: the starter policy's branch and release tags stand in for it")
			}
			continue
		}
		if t.S == "latest" {
			continue
		}
		alias := false
		for _, u := range slices.Sorted(maps.Keys(literal)) {
			if p, ok := strings.CutSuffix(t.S, u); ok && u != t.S && isPrefix(p) {
				addAlias(starterAlias{prefix: p})
				alias = true
				break
			}
			if s, ok := strings.CutPrefix(t.S, u); ok && u != t.S && isSuffix(s) {
				addAlias(starterAlias{suffix: s})
				alias = true
				break
			}
		}
		if !alias && !slices.Contains(list, t.S) {
			list = append(list, t.S)
		}
	}
	slices.SortFunc(aliases, func(a, b starterAlias) int {
		return cmp.Or(strings.Compare(a.prefix, b.prefix), strings.Compare(a.suffix, b.suffix))
	})
	return list, aliases
}

// starterAlias is an alias init writes.
type starterAlias struct{ prefix, suffix string }

// printDropped writes what init could not carry over, by file and line.
func (c *CLI) printDropped(ds []workflowscan.Dropped) {
	slices.SortStableFunc(ds, func(a, b workflowscan.Dropped) int {
		return cmp.Or(strings.Compare(a.Pos.File, b.Pos.File), a.Pos.Line-b.Pos.Line)
	})
	// A bake target's inherited attribute is read once per target.
	ds = slices.CompactFunc(ds, func(a, b workflowscan.Dropped) bool { return a == b })
	for _, d := range ds {
		fmt.Fprintf(c.stderr, "%s: not carried over: %s (%s)\n", d.Pos, d.What, d.Why)
	}
}
