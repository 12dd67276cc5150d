package builders

import "syscall"

func mountBinfmt(dir string) error {
	return syscall.Mount("binfmt_misc", dir, "binfmt_misc", 0, "")
}
