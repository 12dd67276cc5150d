package workflowscan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// Limits on what a scan reads: workflows and bake files are small, and
// a repository with hundreds of them is not one init can help.
const (
	maxFileSize  = 1 << 20
	maxWorkflows = 64
)

// WorkflowDir is where GitHub looks for workflows, relative to the
// repository's root.
const WorkflowDir = ".github/workflows"

// Pos is a place in a file: its slash path relative to the scanned
// directory, and a line (1-based; 0 when only the file is known).
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Build is one image build a workflow makes. Values CI computes at run
// time (${{ github.ref_name }}, $TAG set by a command) are kept in them
// as ${{ expr }} or ${NAME}; Unresolved tells them.
type Build struct {
	Pos Pos
	// How names the command or step: "docker buildx build",
	// "docker/build-push-action", "docker buildx bake target api".
	How string
	// Context and Dockerfile are slash paths relative to the scanned
	// directory, cleaned; Dockerfile is the context's Dockerfile when the
	// build names none.
	Context, Dockerfile string
	Target              string
	Platforms           []Value
	Tags                []Value
	Args                []Arg
	// Names are the repositories an output pushes to (type=image,name=R)
	// when its tags do not say: a push by digest.
	Names []Value
}

// Value is a string from a workflow with where it was written.
type Value struct {
	S   string
	Pos Pos
}

// Arg is a build arg.
type Arg struct {
	Name, Value string
	Pos         Pos
}

// Dropped is something of a build that was not read into it.
type Dropped struct {
	Pos       Pos
	What, Why string
}

// Result is what a scan found.
type Result struct {
	Builds  []Build
	Dropped []Dropped
}

func (r *Result) drop(p Pos, what, why string) {
	r.Dropped = append(r.Dropped, Dropped{Pos: p, What: short(what), Why: why})
}

// short keeps a reported piece of a file to one line of reasonable length.
func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// Scan reads the workflows under dir/.github/workflows (*.yml, *.yaml)
// and the bake files their bake commands name. A missing directory is
// no workflow; a file that cannot be parsed is reported in Dropped and
// the others are read.
func Scan(ctx context.Context, dir string) (Result, error) {
	var res Result
	entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(WorkflowDir)))
	if errors.Is(err, fs.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("reading %s: %w", WorkflowDir, err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && (strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".yaml")) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if len(names) > maxWorkflows {
		res.drop(Pos{File: WorkflowDir}, fmt.Sprintf("%d workflows past the first %d", len(names)-maxWorkflows, maxWorkflows), "too many to read")
		names = names[:maxWorkflows]
	}
	s := &scanner{dir: dir, res: &res}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		s.workflow(path.Join(WorkflowDir, n))
	}
	return res, nil
}

// scanner holds one scan's state.
type scanner struct {
	dir string
	res *Result
}

// read reads a file of the repository by its slash path.
func (s *scanner) read(rel string) ([]byte, error) {
	return safefile.Read(filepath.Join(s.dir, filepath.FromSlash(rel)), maxFileSize)
}

// exists tells whether rel is a regular file of the repository.
func (s *scanner) exists(rel string) bool {
	fi, err := os.Stat(filepath.Join(s.dir, filepath.FromSlash(rel)))
	return err == nil && fi.Mode().IsRegular()
}

// Unresolved tells whether s holds a value CI computes at run time.
func Unresolved(s string) bool {
	return strings.Contains(s, "${")
}

// Literal splits s around its run-time values: the text before the
// first and after the last. ok is false when s has none.
func Literal(s string) (before, after string, ok bool) {
	i := strings.Index(s, "${")
	if i < 0 {
		return s, "", false
	}
	j := strings.LastIndex(s, "}")
	if j < i {
		return s[:i], "", true
	}
	return s[:i], s[j+1:], true
}

// relPath makes p, relative to the directory wd of the repository, a
// cleaned slash path relative to the repository; ok is false for an
// absolute path, one outside the repository, or one CI computes.
func relPath(wd, p string) (string, bool) {
	if Unresolved(p) || path.IsAbs(p) || strings.Contains(p, "://") {
		return "", false
	}
	r := path.Clean(path.Join(wd, p))
	if r == ".." || strings.HasPrefix(r, "../") {
		return "", false
	}
	return r, true
}
