package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// CheckWrite tells, before any work is done, whether Write can write
// path: its directory exists and takes new files, and path is absent or
// a regular file (a symlink is followed, as Write follows it).
func CheckWrite(path string) error {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("%s is %s, not a regular file", path, kind(fi.Mode()))
	case err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
		return err
	}
	return checkDir(filepath.Dir(path))
}

// CheckCreate tells, before any work is done, whether path can be made
// along with any directories above it that are missing: the nearest of
// them that exists is a directory that takes new entries, and path is
// absent or a directory (dir) or a regular file (!dir).
func CheckCreate(path string, dir bool) error {
	path = filepath.Clean(path)
	fi, err := os.Stat(path)
	switch {
	case err == nil && dir && !fi.IsDir():
		return fmt.Errorf("%s is %s, not a directory", path, kind(fi.Mode()))
	case err == nil && !dir && !fi.Mode().IsRegular():
		return fmt.Errorf("%s is %s, not a regular file", path, kind(fi.Mode()))
	case err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
		return err
	}
	// Replacing path makes a new entry beside it, as creating it does.
	parent := filepath.Dir(path)
	for {
		if _, err := os.Lstat(parent); err == nil || filepath.Dir(parent) == parent {
			break
		}
		parent = filepath.Dir(parent)
	}
	return checkDir(parent)
}

// checkDir tells whether dir is a directory a new file can be made in. It
// makes one and removes it: permissions, read-only mounts and ACLs all
// answer the way they will for the real write.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the directory %s does not exist", dir)
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is %s, not a directory", dir, kind(fi.Mode()))
	}
	f, err := os.CreateTemp(dir, ".bricklayer-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
