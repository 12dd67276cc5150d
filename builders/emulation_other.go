//go:build !linux

package builders

import "errors"

// mountBinfmt: binfmt_misc is Linux's; elsewhere emulation is Docker's
// (Docker Desktop registers QEMU in its own VM).
func mountBinfmt(dir string) error {
	return errors.New("binfmt_misc exists only on Linux")
}
