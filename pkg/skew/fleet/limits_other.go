//go:build !unix

package fleet

// HostLimits on systems without RLIMIT_NOFILE (Windows): sockets have no small
// per-process cap there, so only the memory bounds the workers.
func HostLimits() Limits {
	return Limits{AvailableMemory: availableMemory()}
}
