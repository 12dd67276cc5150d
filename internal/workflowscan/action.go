package workflowscan

import (
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// dropHints say, for what a build sets that bricklayer.cue does not
// carry, where it goes instead; by docker buildx build's flag name.
var dropHints = map[string]string{
	"cache-from":    "build cache: cache: {from: [...]} in bricklayer.cue, or bricklayer build --cache-from",
	"cache-to":      "build cache: cache: {to: [...]} in bricklayer.cue, or bricklayer build --cache-to",
	"secret":        "secrets: pass them to bricklayer build --secret",
	"ssh":           "SSH agent forwarding: bricklayer has none",
	"output":        "outputs: bricklayer pushes by digest and assembles the index itself; see build --push and --output",
	"label":         "labels: set labels: in bricklayer.cue",
	"annotation":    "annotations: set annotations: in bricklayer.cue",
	"provenance":    "attestations: bricklayer build --provenance",
	"sbom":          "attestations: bricklayer has no SBOM",
	"attest":        "attestations: bricklayer build --provenance",
	"build-arg":     "a build arg CI computes: give it a value in bricklayer.cue, or pass it with --context var.NAME=VALUE and args: NAME: build.vars.NAME",
	"platform":      "a platform CI computes: list the platforms in bricklayer.cue",
	"tag":           "a tag CI computes: the starter policy's branch and release tags stand in for it",
	"file":          "a Dockerfile CI computes",
	"context":       "a context that is not a directory of the repository",
	"shell":         "shell around the build: bricklayer does not run it",
	"build-context": "named build contexts: bricklayer has none",
}

// ignored are what a build sets that bricklayer decides itself (where
// to push, how to print progress), so nothing is lost without them.
var ignored = map[string]bool{
	"push": true, "load": true, "pull": true, "no-cache": true, "quiet": true, "progress": true,
	"builder": true, "iidfile": true, "metadata-file": true, "rm": true, "force-rm": true,
	"github-token": true,
}

// buildPushAction reads a docker/build-push-action step's inputs.
func (s *scanner) buildPushAction(c *stepCtx, st *yaml.Node) {
	b := Build{Pos: c.where(st), How: "docker/build-push-action"}
	with := get(st, "with")
	in := func(k string) *yaml.Node { return get(with, k) }
	// Without a context the action builds the commit's git context,
	// which is the repository's root.
	ctxDir, file := ".", ""
	if n := in("context"); n != nil {
		ctxDir = c.restore(c.expand(n.Value))
	}
	if n := in("file"); n != nil {
		file = c.restore(c.expand(n.Value))
	}
	if !s.setPaths(&b, c, ctxDir, file, c.where(st)) {
		return
	}
	if n := in("target"); n != nil {
		b.Target = c.restore(c.expand(n.Value))
	}
	for _, v := range c.list(in("platforms"), true) {
		s.addPlatforms(&b, c, v)
	}
	for _, v := range c.list(in("tags"), true) {
		b.Tags = append(b.Tags, v)
	}
	for _, v := range c.list(in("build-args"), false) {
		s.addArg(&b, v)
	}
	for _, v := range c.list(in("outputs"), false) {
		s.output(&b, v)
	}
	if with != nil && with.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(with.Content); i += 2 {
			k, v := with.Content[i].Value, with.Content[i+1]
			switch k {
			case "context", "file", "target", "platforms", "tags", "build-args", "outputs":
				continue
			}
			if ignored[k] {
				continue
			}
			// The action's names are the flags' in the plural
			// (cache-from, secrets, labels, build-contexts).
			flag := strings.TrimSuffix(strings.TrimSuffix(k, "s"), "-file")
			if k == "secret-files" || k == "secret-envs" {
				flag = "secret"
			}
			for _, l := range scalarLines(c.file, v) {
				if strings.TrimSpace(l.S) != "" {
					s.dropFlag(l.Pos, flag, k+": "+strings.TrimSpace(c.restore(c.expand(l.S))))
				}
			}
		}
	}
	s.res.Builds = append(s.res.Builds, b)
}

// dropFlag reports what a build's flag (or input) sets.
func (s *scanner) dropFlag(p Pos, flag, what string) {
	why, ok := dropHints[flag]
	if !ok {
		why = "bricklayer.cue has no place for it"
	}
	s.res.drop(p, what, why)
}

// setPaths sets b's context and Dockerfile from a context and file
// relative to the step's working directory (the file too, as docker
// buildx build -f reads it); false when the context is not a directory
// of the repository (a git URL, stdin, a value CI computes), reported.
func (s *scanner) setPaths(b *Build, c *stepCtx, ctxDir, file string, p Pos) bool {
	rc, ok := relPath(c.wd, ctxDir)
	if !ok || ctxDir == "-" {
		s.dropFlag(p, "context", b.How+" of context "+ctxDir)
		return false
	}
	b.Context, b.Dockerfile = rc, path.Join(rc, "Dockerfile")
	if file != "" {
		rf, ok := relPath(c.wd, file)
		if !ok {
			s.dropFlag(p, "file", b.How+" of Dockerfile "+file)
			return false
		}
		b.Dockerfile = rf
	}
	return true
}

// addPlatforms adds a comma-separated list of platforms, a matrix axis
// for a reference to one.
func (s *scanner) addPlatforms(b *Build, c *stepCtx, v Value) {
	for _, p := range strings.Split(v.S, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if axis := c.matrixList(p); axis != nil {
			for _, a := range axis {
				b.Platforms = append(b.Platforms, Value{S: a, Pos: v.Pos})
			}
			continue
		}
		if Unresolved(p) {
			s.dropFlag(v.Pos, "platform", "platform "+p)
			continue
		}
		b.Platforms = append(b.Platforms, Value{S: p, Pos: v.Pos})
	}
}

// addArg adds a build arg NAME=VALUE.
func (s *scanner) addArg(b *Build, v Value) {
	name, val, ok := strings.Cut(v.S, "=")
	switch {
	case !ok:
		s.res.drop(v.Pos, "build arg "+v.S, "its value comes from the environment of the CI")
	case Unresolved(val):
		s.dropFlag(v.Pos, "build-arg", "build arg "+v.S)
	default:
		b.Args = append(b.Args, Arg{Name: name, Value: val, Pos: v.Pos})
	}
}

// output reports an output and keeps the repository of an image one
// (type=image,name=R,push-by-digest=true), which is where the build
// pushes when no tag says so.
func (s *scanner) output(b *Build, v Value) {
	fields := strings.Split(v.S, ",")
	typ := ""
	var names []string
	for _, f := range fields {
		k, val, _ := strings.Cut(strings.TrimSpace(strings.Trim(f, `"`)), "=")
		switch k {
		case "type":
			typ = val
		case "name":
			names = append(names, strings.Split(val, ",")...)
		}
	}
	if typ == "image" || typ == "registry" {
		for _, n := range names {
			b.Names = append(b.Names, Value{S: n, Pos: v.Pos})
		}
	}
	s.dropFlag(v.Pos, "output", "output "+v.S)
}
