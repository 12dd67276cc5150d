package spec

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/schemas"
)

// Find returns the spec file named by arg: the file itself, or
// bricklayer.cue inside a directory. An empty arg means ".".
func Find(arg string) (string, error) {
	if arg == "" {
		arg = "."
	}
	fi, err := os.Stat(arg)
	if err != nil {
		return "", fmt.Errorf("no spec at %s: %w", arg, err)
	}
	if !fi.IsDir() {
		return arg, nil
	}
	file := filepath.Join(arg, FileName)
	if _, err := os.Stat(file); err != nil {
		return "", fmt.Errorf("no %s in %s (bricklayer init writes one)", FileName, arg)
	}
	if arg == "." {
		file = FileName
	}
	return file, nil
}

// Load finds, reads and checks the spec named by arg (a file or a
// directory). The error, if any, holds every mistake found; Diagnostics
// lists them.
func Load(arg string, opts ...Option) (*Spec, error) {
	file, err := Find(arg)
	if err != nil {
		return nil, err
	}
	src, err := ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Parse(file, src, opts...)
}

// ReadFile reads the spec file: a regular file of at most MaxSpecSize
// bytes.
func ReadFile(file string) ([]byte, error) {
	src, err := safefile.Read(file, MaxSpecSize)
	if err != nil {
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	return src, nil
}

// Option tunes loading.
type Option func(*options)

type options struct {
	build     func(full bool) (*buildinfo.Info, error)
	overrides []Override
	// parsed is told of each Dockerfile parsed (tests).
	parsed func(path string)
}

// WithBuild sets the build context the spec sees as `build` and its tag
// policies are computed for. Without it the context is empty: no branch,
// no tag, no commit.
func WithBuild(info *buildinfo.Info) Option {
	return WithBuildFunc(func(bool) (*buildinfo.Info, error) { return info, nil })
}

// WithBuildFunc gets the build context from detect, asking for the full
// context (git and CI) only when the spec refers to build or sets a tag
// policy: reading git costs more than the rest of a vet, which a
// pre-commit hook pays on every commit.
func WithBuildFunc(detect func(full bool) (*buildinfo.Info, error)) Option {
	return func(o *options) { o.build = detect }
}

// Parse checks the spec src read from file. Paths in the spec (context,
// dockerfile) are resolved against file's directory.
func Parse(file string, src []byte, opts ...Option) (*Spec, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	f, err := parser.ParseFile(file, src)
	if err != nil {
		return nil, err
	}
	info := &buildinfo.Info{}
	full := needsContext(f)
	if o.build != nil {
		if info, err = o.build(full); err != nil {
			return nil, err
		}
	}
	ctx := cuecontext.New()
	schema := ctx.CompileString(schemas.Source, cue.Filename(schemas.FileName))
	if err := schema.Err(); err != nil {
		return nil, fmt.Errorf("internal error: compiling the embedded schema: %w", err)
	}
	buildJSON, err := json.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("encoding the build context: %w", err)
	}
	// build is in scope for the file, as if declared around it: the spec
	// refers to it (tags: [build.branchTag]) without declaring it. JSON is
	// CUE; ctx.Encode would leave a nil version out rather than null.
	scope := ctx.CompileString(`build: ` + string(buildJSON))
	user := ctx.BuildFile(f, cue.Scope(scope))
	if err := user.Err(); err != nil {
		errs := &errorList{fallback: f.Pos(), file: f}
		errs.add(err)
		return nil, errs.err()
	}
	// The file's field order, which --set's rewrite does not keep.
	order := user
	if len(o.overrides) > 0 {
		if user, err = applyOverrides(ctx, user, o.overrides); err != nil {
			return nil, err
		}
	}
	def := schema.LookupPath(cue.MakePath(cue.Def("#Spec")))
	errs := &errorList{user: user, fallback: f.Pos()}
	// A valid spec is settled piece by piece, which keeps one image's
	// unified graph live at a time rather than the whole spec's; only an
	// invalid one is unified whole and walked to find every error in it.
	if !validPieces(ctx, schema, user) {
		// User value first, so error paths read images.ui.tags, not #Spec.
		v := user.Unify(def)
		if v.Validate(cue.Concrete(true)) != nil {
			schemaErrors(v, def, user, ctx.CompileString("_"), errs)
		}
	}
	// Decode the user's value, not the unified one: a schema error makes
	// the enclosing struct an error, which would hide every other mistake
	// inside it. The schema's verdict is already in errs.
	d := &decoder{errs: errs, dir: filepath.Dir(file), build: info, parsed: o.parsed}
	raw := decodeRaw(user)
	if errs.errs == nil {
		// An image that did not decode must not vanish from the spec.
		for _, err := range raw.imageErrs {
			errs.add(err)
		}
	}
	s := d.spec(raw, file)
	s.Source = src
	s.Build, s.BuildRead = info, full && o.build != nil
	s.value, s.schema, s.user = user, def, order
	// Positions first: a variant that keeps its image's steps copies
	// their positions.
	positions(s, user)
	d.variants(s, user)
	check(s, errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	if errs.warnings != nil {
		s.Warnings = Diagnostics(errs.warnings)
	}
	return s, nil
}

func isSchemaPos(p token.Pos) bool { return isSchemaFile(p.Filename()) }

func isSchemaFile(name string) bool {
	return name == schemas.FileName || name == schemas.BuilderFileName
}

// needsContext tells whether the file refers to build (an identifier the
// file does not declare), sets a tag policy or an epoch.
func needsContext(f *ast.File) bool {
	for _, id := range f.Unresolved {
		if id.Name == "build" {
			return true
		}
	}
	found := false
	ast.Walk(f, func(n ast.Node) bool {
		if field, ok := n.(*ast.Field); ok {
			if name, _, _ := ast.LabelName(field.Label); name == "policy" || name == "epoch" {
				found = true
			}
		}
		return !found
	}, nil)
	return found
}

// Release lets the evaluated CUE go: only Export reads it after loading,
// and the plan of a large spec needs the memory (the CUE graph is most of
// a loaded spec's heap). Export fails after it.
func (s *Spec) Release() {
	s.value, s.schema, s.user = cue.Value{}, cue.Value{}, cue.Value{}
}
