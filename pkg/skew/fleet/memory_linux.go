package fleet

import "os"

// availableMemory is MemAvailable of /proc/meminfo, in bytes; 0 when unreadable.
func availableMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseMemAvailable(string(b))
}
