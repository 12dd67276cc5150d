package spec

import (
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Checks of the values a step or stage hands to BuildKit as they are:
// names of variables, mounts, owners and registry ports. Each would
// otherwise be lowered into a graph the daemon rejects, or worse, one it
// reads differently (E=2=v).

// badVarName tells what is wrong with an environment variable or build
// arg name, or "".
func badVarName(k string) string {
	switch {
	case k == "":
		return "a name cannot be empty"
	case strings.ContainsRune(k, '='):
		return "a name cannot contain '='"
	case strings.ContainsRune(k, 0):
		return "a name cannot contain NUL"
	}
	return ""
}

// varNames checks the names (and values) of an env or args map.
func (d *decoder) varNames(m map[string]string, where loc, what string) {
	for _, k := range SortedKeys(m) {
		if msg := badVarName(k); msg != "" {
			d.errs.at(where.child(k), "invalid %s name %q: %s", what, k, msg)
		} else if strings.ContainsRune(m[k], 0) {
			d.errs.at(where.child(k), "the value of %s %s contains NUL", what, k)
		}
	}
}

// cacheMounts checks the cache mounts of a run step: absolute targets,
// each mounted once.
func (d *decoder) cacheMounts(mounts []rawCache, where loc) {
	seen := map[string]bool{}
	for i, c := range mounts {
		if c.Target == nil {
			continue // the schema reports it
		}
		target := *c.Target
		tl := where.child(strconv.Itoa(i), "target")
		switch {
		case !path.IsAbs(target):
			d.errs.at(tl, "cache target %q is not an absolute path", target)
		case seen[path.Clean(target)]:
			d.errs.at(tl, "cache target %q is mounted twice in this step", target)
		}
		seen[path.Clean(target)] = true
	}
}

// secretMounts checks the secret mounts of a run step: an id, each id
// once, a file target that is absolute, and a valid variable name.
func (d *decoder) secretMounts(secrets []rawSecret, where loc) {
	seen := map[string]bool{}
	for i, s := range secrets {
		el := where.child(strconv.Itoa(i))
		switch {
		case s.ID == "":
			d.errs.at(el.child("id"), "a secret needs an id: the --secret id=ID it reads")
		case seen[s.ID]:
			d.errs.at(el.child("id"), "secret %q is mounted twice in this step", s.ID)
		}
		seen[s.ID] = true
		switch {
		case s.Target != "" && s.Env != "":
			d.errs.at(el, "a secret is mounted as a file (target) or an environment variable (env), not both")
		case s.Target != "" && !path.IsAbs(s.Target):
			d.errs.at(el.child("target"), "secret target %q is not an absolute path", s.Target)
		case s.Env != "" && badVarName(s.Env) != "":
			d.errs.at(el.child("env"), "invalid environment variable name %q: %s", s.Env, badVarName(s.Env))
		}
	}
}

// chownPart is a user or group name (POSIX portable names and a bit more)
// or a numeric id.
var chownPart = `(?:[0-9]+|[A-Za-z_][A-Za-z0-9_.-]*\$?)`
var chownRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^` + chownPart + `(?::` + chownPart + `)?$`) })

// validChown tells whether s is USER or USER:GROUP, each a name or a
// numeric id that fits BuildKit's 32-bit ids.
func validChown(s string) bool {
	if !chownRE().MatchString(s) {
		return false
	}
	for _, part := range strings.Split(s, ":") {
		if part[0] >= '0' && part[0] <= '9' {
			if _, err := strconv.ParseInt(part, 10, 32); err != nil {
				return false
			}
		}
	}
	return true
}
