// Package safefile reads and writes the files bricklayer is given: reads
// only regular files, up to a limit; writes whole files or nothing.
package safefile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// TooLargeError is a file over the limit a read allows.
type TooLargeError struct {
	Path  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d bytes, the most bricklayer reads", e.Path, e.Limit)
}

// Read returns the contents of the regular file at path (symlinks
// followed), refusing devices, FIFOs and sockets, which could block or
// never end, and files over limit bytes.
func Read(path string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO swapped in after a check must not block.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, kind(fi.Mode()))
	}
	if fi.Size() > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	dt, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(dt)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	return dt, nil
}

func kind(m os.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}

// Write replaces the file at path with data, whole or not at all (see
// WriteAll). An existing file keeps its mode; a new one gets mode.
func Write(path string, data []byte, mode os.FileMode) error {
	return WriteAll([]File{{Path: path, Data: data, Mode: mode}})
}

// File is one file WriteAll writes: its path, its new contents, and the
// mode it gets if it is new (an existing file keeps its own).
type File struct {
	Path string
	Data []byte
	Mode os.FileMode
}

// WriteAll replaces every file with its data, all of them or none: each
// is written to a temporary file in its own directory and synced, and
// only once all of them are is each renamed over its file. A failure
// before the renames (a directory that takes no new file, a full disk)
// removes the temporary files and leaves every file as it was; a rename
// between two names of one directory does not fail short of the
// filesystem itself failing, and then the files renamed before it stay
// written. A symlink keeps pointing where it did, and its target is
// replaced.
func WriteAll(files []File) error {
	var staged []staging
	defer func() {
		for _, s := range staged {
			if !s.done {
				os.Remove(s.tmp)
			}
		}
	}()
	for _, f := range files {
		s, err := stage(f)
		if err != nil {
			return err
		}
		staged = append(staged, s)
	}
	for i := range staged {
		s := &staged[i]
		if err := os.Rename(s.tmp, s.path); err != nil {
			return fmt.Errorf("writing %s: %w", s.path, err)
		}
		s.done = true
	}
	return nil
}

// staging is a file written to tmp, to be renamed over path.
type staging struct {
	path, tmp string
	done      bool
}

// stage writes f to a temporary file beside the file it replaces.
func stage(f File) (staging, error) {
	path, mode := f.Path, f.Mode
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return staging{}, fmt.Errorf("%s is not a regular file", path)
		}
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return staging{}, fmt.Errorf("writing %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(f.Data); err != nil {
		return staging{}, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return staging{}, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return staging{}, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return staging{}, fmt.Errorf("writing %s: %w", path, err)
	}
	ok = true
	return staging{path: path, tmp: tmp.Name()}, nil
}
