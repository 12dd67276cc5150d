package spec

import (
	"strconv"

	"github.com/bricklayer-build/bricklayer/buildopt"
)

// caches parses the spec's cache entries, each checked where it is
// written.
func (d *decoder) caches(list []string, where loc) []buildopt.Cache {
	var out []buildopt.Cache
	for i, c := range list {
		e, err := buildopt.ParseCache(c)
		if err != nil {
			d.errs.at(where.child(strconv.Itoa(i)), "cache %q: %v", c, err)
			continue
		}
		out = append(out, e)
	}
	return out
}
