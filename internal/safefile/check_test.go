package safefile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCheckWrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("nowhere/x", link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
	}{
		{filepath.Join(dir, "new.json"), ""},
		{file, ""},
		{filepath.Join(dir, "missing", "m.json"), "the directory " + filepath.Join(dir, "missing") + " does not exist"},
		{filepath.Join(file, "m.json"), file + " is a regular file, not a directory"},
		{dir, dir + " is a directory, not a regular file"},
		{fifo, "is a FIFO, not a regular file"},
		{filepath.Join(ro, "m.json"), "cannot write in " + ro},
		{link, ""},
	} {
		if os.Geteuid() == 0 && strings.HasPrefix(tc.path, ro) {
			continue // root writes anywhere
		}
		err := CheckWrite(tc.path)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckWrite(%s) = %v, want %q", tc.path, err, tc.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("the checks left files behind: %v", entries)
	}
}

func TestCheckCreate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		dir  bool
		want string
	}{
		{filepath.Join(dir, "a", "b", "out.tar"), false, ""},
		{filepath.Join(dir, "a", "b", "layout"), true, ""},
		{file, false, ""},
		{file, true, file + " is a regular file, not a directory"},
		{dir, false, dir + " is a directory, not a regular file"},
		{filepath.Join(file, "x", "out.tar"), false, file + " is a regular file, not a directory"},
	} {
		err := CheckCreate(tc.path, tc.dir)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckCreate(%s, %v) = %v, want %q", tc.path, tc.dir, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Error("CheckCreate made a directory")
	}
}
