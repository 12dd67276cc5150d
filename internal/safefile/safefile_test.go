package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if dt, err := Read(f, 5); err != nil || string(dt) != "hello" {
		t.Errorf("Read = %q, %v", dt, err)
	}
	if _, err := Read(f, 4); err == nil || !strings.Contains(err.Error(), "larger than 4 bytes") {
		t.Errorf("over the limit: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(fifo, 10); err == nil || !strings.Contains(err.Error(), "not a regular file (a FIFO)") {
		t.Errorf("FIFO: %v", err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(zero, 10); err == nil || !strings.Contains(err.Error(), "a device") {
		t.Errorf("/dev/zero: %v", err)
	}
	if _, err := Read(dir, 10); err == nil || !strings.Contains(err.Error(), "a directory") {
		t.Errorf("directory: %v", err)
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("f", link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	fi, err := os.Stat(f)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode not kept: %v %v", fi.Mode(), err)
	}
	if dt, _ := os.ReadFile(f); string(dt) != "new" {
		t.Errorf("content = %q", dt)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// TestWriteAllOrNothing: when one file cannot be staged, none is written
// and no temporary file is left. The second file's name is so long that
// no temporary file can be named after it, which fails for root too.
func TestWriteAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yml")
	long := filepath.Join(dir, strings.Repeat("x", 250)+".yml")
	for _, f := range []string{a, long} {
		if err := os.WriteFile(f, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := WriteAll([]File{{Path: a, Data: []byte("new")}, {Path: long, Data: []byte("new")}})
	if !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Fatalf("got %v, want a name too long", err)
	}
	if dt, _ := os.ReadFile(a); string(dt) != "old" {
		t.Errorf("a.yml was written: %q", dt)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temporary files left: %v", entries)
	}
	// Both writable: both written.
	b := filepath.Join(dir, "b.yml")
	if err := WriteAll([]File{{Path: a, Data: []byte("new a")}, {Path: b, Data: []byte("new b"), Mode: 0o600}}); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{a: "new a", b: "new b"} {
		if dt, _ := os.ReadFile(f); string(dt) != want {
			t.Errorf("%s: %q, want %q", f, dt, want)
		}
	}
	if fi, err := os.Stat(b); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("new file's mode: %v %v", fi.Mode(), err)
	}
}
