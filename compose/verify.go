package compose

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/distribution/reference"
)

// Verify reads src and its rewrite res.Out as compose does (see
// readModel; interpolation on, with env as the environment) and checks
// that they are the same deployment but for image references rewritten
// from an alias tag to its canonical tag (or, with FoldArch, from a
// per-architecture repository to the multi-platform one). A variable of
// a rewritten reference that env leaves unset is set to a sample tag for
// both, so the tags it makes are compared. What readModel refuses in src
// is a *PosError at its place.
func Verify(src []byte, res *Result, rules []Rule, env map[string]string) error {
	rs, err := compileRules(rules)
	if err != nil {
		return err
	}
	vars := map[string]string{}
	for k, v := range env {
		vars[k] = v
	}
	for _, c := range res.Changes {
		for _, v := range []string{c.From, c.To} {
			toks, _ := tokenize(v)
			for _, t := range toks {
				if _, set := vars[t.name]; t.name != "" && !set {
					vars[t.name] = "1.0"
				}
			}
		}
	}
	before, err := model(src, vars)
	if err != nil {
		// A place in the file is the message; the file is the user's.
		if pe := (*PosError)(nil); errors.As(err, &pe) {
			return err
		}
		return fmt.Errorf("the file as it is: %w", err)
	}
	after, err := model(res.Out, vars)
	if err != nil {
		// Not wrapped: a place in the rewritten text is no place in src.
		return fmt.Errorf("the rewritten file: %v", err)
	}
	allow := func(p diffPath, a, b any) bool {
		from, ok1 := a.(string)
		to, ok2 := b.(string)
		// An anchored image is also read where its anchor is, under any
		// key (x-images.api), so the place is not checked, only the
		// values: from an alias reference to its canonical one.
		return ok1 && ok2 && rs.rewrites(from, to)
	}
	if p, ok := modelDiff(nil, before, after, allow); ok {
		x, _ := at(before, p)
		y, _ := at(after, p)
		return fmt.Errorf("compose reads the rewritten file differently: %s: %s before, %s after", p, showModel(x), showModel(y))
	}
	return nil
}

// rewrites tells whether the literal reference to is from with aliases
// dropped from its tag or its per-architecture repository folded.
func (rs ruleSet) rewrites(from, to string) bool {
	a, err := reference.ParseNormalizedNamed(from)
	if err != nil {
		return false
	}
	b, err := reference.ParseNormalizedNamed(to)
	if err != nil {
		return false
	}
	ta, ok1 := a.(reference.Tagged)
	tb, ok2 := b.(reference.Tagged)
	if !ok1 || !ok2 {
		return false
	}
	if a.Name() != b.Name() {
		folded, ok := foldRepository(from[:len(from)-len(ta.Tag())-1])
		return ok && folded+":"+ta.Tag() == to
	}
	r, ok := rs[a.Name()]
	if !ok {
		return false
	}
	for _, s := range r.untag(ta.Tag()) {
		if s == tb.Tag() {
			return true
		}
	}
	return false
}

func showModel(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("%q", x)
	case map[string]any:
		return fmt.Sprintf("a mapping of %d keys", len(x))
	case []any:
		return fmt.Sprintf("a list of %d items", len(x))
	}
	return fmt.Sprint(v)
}

// fileNames are the names compose looks for, and the per-architecture and
// override variants beside them.
var fileNames = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(docker-)?compose(\.[^/]+)?\.ya?ml$`)
})

// IsFileName tells whether name (a base name) is one a compose file goes
// by: compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml,
// and any of them with a middle part (docker-compose.rpi.yml,
// compose.override.yaml).
func IsFileName(name string) bool { return fileNames().MatchString(name) }

// Files are the compose files in dir (not below it), sorted.
func Files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if IsFileName(e.Name()) && !e.IsDir() {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no compose file (compose.yaml, compose.yml, docker-compose.yml, docker-compose.*.yml)", strings.TrimSuffix(dir, "/"))
	}
	return files, nil
}
