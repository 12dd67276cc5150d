package cli

import (
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// How far init looks below the directory: deep enough for src/,
// docker/amd64/ and services/api/docker/, bounded so that a home
// directory or a monorepo does not keep it walking.
const (
	maxInitDepth       = 4
	maxInitEntries     = 20000
	maxInitDockerfiles = 64
)

// skippedDirs hold code that is not the repository's product: vendored
// dependencies and test fixtures, whose Dockerfiles are someone else's
// or only exercised by tests.
var skippedDirs = []string{
	"vendor", "third_party", "node_modules", "bower_components",
	"test", "tests", "testdata", "__tests__", "fixtures", "e2e",
}

// findDockerfiles are the Dockerfiles at most maxInitDepth directories
// below dir, as slash paths relative to it, in walk order. Hidden
// directories (.git, .github, .devcontainer) are skipped but .docker,
// which projects keep build files in.
func findDockerfiles(dir string) ([]string, error) {
	var out []string
	entries := 0
	errFull := errors.New("enough")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil // an unreadable directory below is not ours to judge
		}
		entries++
		if entries > maxInitEntries {
			return errFull
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			n := d.Name()
			if strings.HasPrefix(n, ".") && n != ".docker" || slices.Contains(skippedDirs, strings.ToLower(n)) ||
				strings.Count(rel, "/")+1 > maxInitDepth {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && isDockerfileName(d.Name()) {
			out = append(out, rel)
			if len(out) >= maxInitDockerfiles {
				return errFull
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFull) {
		return nil, err
	}
	return out, nil
}

// isDockerfileName: Dockerfile, Dockerfile.NAME, NAME.Dockerfile, but
// not their .dockerignore files.
func isDockerfileName(n string) bool {
	if n == "Dockerfile.dockerignore" || strings.HasSuffix(n, ".dockerignore") {
		return false
	}
	return n == "Dockerfile" || strings.HasPrefix(n, "Dockerfile.") || strings.HasSuffix(n, ".Dockerfile")
}

// dockerfileSuffix is the name a Dockerfile adds to its image's:
// "" for Dockerfile, NAME for Dockerfile.NAME and NAME.Dockerfile.
func dockerfileSuffix(n string) string {
	n = path.Base(n)
	if s, ok := strings.CutPrefix(n, "Dockerfile."); ok {
		return s
	}
	return strings.TrimSuffix(strings.TrimSuffix(n, "Dockerfile"), ".")
}
