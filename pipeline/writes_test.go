package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/buildopt"
	"github.com/bricklayer-build/bricklayer/pipeline"
)

// TestCheckWrites: a layout or cache export that cannot be written is
// found before anything is built.
func TestCheckWrites(t *testing.T) {
	s := load(t, twoImageSpec)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	notLayout := filepath.Join(dir, "notlayout")
	for _, err := range []error{
		os.WriteFile(file, nil, 0o644),
		os.Mkdir(notLayout, 0o755),
		os.WriteFile(filepath.Join(notLayout, "keep"), nil, 0o644),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	out := func(dest string, tar bool, images ...string) writes {
		return writes{images, pipeline.Options{Output: &buildopt.Output{Type: "oci", Dest: dest, Tar: tar}}}
	}
	for _, tc := range []struct {
		name string
		opts writes
		want string
	}{
		{"new directories", out(filepath.Join(dir, "a", "b.tar"), true, "a"), ""},
		{"under a file", out(filepath.Join(file, "b.tar"), true, "a"), "image a: OCI layout: " + file + " is a regular file, not a directory"},
		{"tar is a directory", out(dir, true, "a"), "is a directory, not a regular file"},
		// Several images: one layout per image under dest.
		{"several under a file", out(file, true), "image a: OCI layout: " + file + " is a regular file, not a directory"},
		{"not a layout", out(notLayout, false, "b"), notLayout + " exists and is not an OCI layout"},
		{"local cache under a file", writes{nil, pipeline.Options{CacheTo: []buildopt.Cache{{Type: "local", Attrs: map[string]string{"dest": filepath.Join(file, "c")}}}}}, "cache export type=local: " + file + " is a regular file"},
		{"registry cache", writes{nil, pipeline.Options{CacheTo: []buildopt.Cache{{Type: "registry", Attrs: map[string]string{"ref": "x/y"}}}}}, ""},
	} {
		err := pipeline.CheckWrites(s, tc.opts.images, nil, tc.opts.run)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Error("CheckWrites made a directory")
	}
}

// writes are the images selected and the options of a run.
type writes struct {
	images []string
	run    pipeline.Options
}
