package cli

import (
	"os"
	"path/filepath"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
)

// TestSchemaWithCue checks the recipe of bricklayer schema's help: the
// printed schema and a spec of package bricklayer load as one CUE
// package, as cue vet loads them, and the schema rejects what it should.
func TestSchemaWithCue(t *testing.T) {
	for _, tc := range []struct {
		spec string
		ok   bool
	}{
		{`package bricklayer
platforms: ["linux/amd64"]
images: app: {repository: "example.com/app", from: "scratch", steps: [{run: "true"}]}
`, true},
		{`package bricklayer
images: app: {repository: "example.com/app", from: "scratch", tagz: ["x"]}
`, false},
		{`package bricklayer
images: app: {from: "scratch"}
`, false},
		// build is declared by the schema's package, with defaults.
		{`package bricklayer
images: app: {
	repository: "example.com/app"
	from:       "scratch"
	tags: [build.branchTag, "sha-\(build.shortSha)", if build.branch != "" && build.branch == build.defaultBranch {"edge"}, if build.version != null {build.version.full}]
}
`, true},
		// A file of the package may set the context.
		{`package bricklayer
build: {branch: "main", defaultBranch: "main", branchTag: "main"}
images: app: {repository: "example.com/app", tags: [if build.branch == build.defaultBranch {"edge"}]}
`, true},
		{`package bricklayer
build: {branch: 1}
images: app: {repository: "example.com/app"}
`, false},
	} {
		dir := t.TempDir()
		for name, data := range map[string]string{"schema.cue": schemaPackage(), "bricklayer.cue": tc.spec} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		insts := load.Instances([]string{"schema.cue", "bricklayer.cue"}, &load.Config{Dir: dir})
		if err := insts[0].Err; err != nil {
			t.Fatal(errors.Details(err, nil))
		}
		v := cuecontext.New().BuildInstance(insts[0])
		err := v.Validate(cue.Concrete(true))
		if (err == nil) != tc.ok {
			t.Errorf("spec %q: validation error %v, want ok=%v", tc.spec, err, tc.ok)
		}
	}
}
