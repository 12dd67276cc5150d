package builders

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// capNames are the Linux capabilities by bit number (linux/capability.h),
// as Docker's --cap-add names them.
var capNames = []string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
	"SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
	"NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
	"SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
	"SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
	"SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// boundingCaps are the capabilities of the bounding set in a
// /proc/PID/status file (its CapBnd line), by name, in bit order. Bits
// this table does not name yet are left out.
func boundingCaps(status []byte) ([]string, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		hex, ok := strings.CutPrefix(sc.Text(), "CapBnd:")
		if !ok {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("CapBnd %q: %w", strings.TrimSpace(hex), err)
		}
		var out []string
		for bit, name := range capNames {
			if mask&(1<<bit) != 0 {
				out = append(out, name)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("no CapBnd line")
}

// hostCaps are the capabilities of this process's bounding set: what a
// container started from here can be given at most.
func hostCaps() ([]string, error) {
	dt, err := safefile.Read("/proc/self/status", 1<<20)
	if err != nil {
		return nil, err
	}
	caps, err := boundingCaps(dt)
	if err != nil {
		return nil, fmt.Errorf("/proc/self/status: %w", err)
	}
	return caps, nil
}
