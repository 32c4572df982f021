//go:build unix

package fleet

import "syscall"

// HostLimits reads this process's descriptor limit and the available memory.
func HostLimits() Limits {
	l := Limits{AvailableMemory: availableMemory()}
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err == nil {
		l.OpenFiles = uint64(r.Cur)
	}
	return l
}
