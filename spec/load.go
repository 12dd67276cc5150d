package spec

import (
	"fmt"
	"os"
	"path/filepath"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

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
func Load(arg string) (*Spec, error) {
	file, err := Find(arg)
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	return Parse(file, src)
}

// Parse checks the spec src read from file. Paths in the spec (context,
// dockerfile) are resolved against file's directory.
func Parse(file string, src []byte) (*Spec, error) {
	f, err := parser.ParseFile(file, src)
	if err != nil {
		return nil, err
	}
	ctx := cuecontext.New()
	schema := ctx.CompileString(schemas.Source, cue.Filename(schemas.FileName))
	if err := schema.Err(); err != nil {
		return nil, fmt.Errorf("internal error: compiling the embedded schema: %w", err)
	}
	user := ctx.BuildFile(f)
	if err := user.Err(); err != nil {
		errs := &errorList{fallback: f.Pos()}
		errs.add(err)
		return nil, errs.err()
	}
	// User value first, so error paths read images.ui.tags, not #Spec.
	def := schema.LookupPath(cue.MakePath(cue.Def("#Spec")))
	v := user.Unify(def)

	errs := &errorList{user: user, fallback: f.Pos()}
	// One Validate settles a valid spec; only an invalid one is walked
	// to find every error in it.
	if v.Validate(cue.Concrete(true)) != nil {
		schemaErrors(v, def, user, errs)
	}
	// Decode the user's value, not the unified one: a schema error makes
	// the enclosing struct an error, which would hide every other mistake
	// inside it. The schema's verdict is already in errs.
	d := &decoder{errs: errs, dir: filepath.Dir(file)}
	s := d.spec(decodeRaw(user), file)
	s.Source = src
	d.variants(s, user)
	positions(s, user)
	check(s, errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return s, nil
}

func isSchemaPos(p token.Pos) bool { return isSchemaFile(p.Filename()) }

func isSchemaFile(name string) bool { return name == schemas.FileName }
