package fleet

import (
	"strconv"
	"strings"
)

// Limits is what the workstation lets one process hold; a zero field is unknown.
type Limits struct {
	// OpenFiles is the soft limit on open file descriptors (RLIMIT_NOFILE), as the
	// Go runtime leaves it: raised to the hard limit at start on Unix.
	OpenFiles uint64
	// AvailableMemory is the memory, in bytes, the system could give without swapping.
	AvailableMemory uint64
}

// What one context in flight holds, and what the process keeps for itself. A context
// holds one connection (HTTP/2 carries its requests), a second while a connection
// race settles, and an exec credential plugin's pipes: 8 descriptors leave room. Its
// memory is mostly its decoded node and kube-system pod lists: 16 MiB covers a cluster
// of about a thousand nodes (the benchmark measures a few hundred KiB for six).
const (
	descriptorsPerContext = 8
	reservedDescriptors   = 64
	memoryPerContext      = 16 << 20
	// memoryShare: a fleet run takes at most 1/memoryShare of the available memory.
	memoryShare = 2
	// maxUnknownMemory caps the workers when the available memory cannot be read.
	maxUnknownMemory = 256
)

// Workers is how many contexts to check at once when the user did not say: one per
// context, so the run takes about its slowest cluster's time, within what the
// workstation can hold.
func Workers(contexts int, l Limits) int {
	n := contexts
	if l.OpenFiles > 0 {
		n = min(n, fit(l.OpenFiles, reservedDescriptors, descriptorsPerContext))
	}
	if l.AvailableMemory > 0 {
		n = min(n, fit(l.AvailableMemory/memoryShare, 0, memoryPerContext))
	} else {
		n = min(n, maxUnknownMemory)
	}
	return max(n, 1)
}

// fit is how many items of size each fit in total after reserved, at least 1.
func fit(total, reserved, each uint64) int {
	if total <= reserved {
		return 1
	}
	n := (total - reserved) / each
	if n > 1<<20 {
		n = 1 << 20
	}
	return max(int(n), 1)
}

// parseMemAvailable reads MemAvailable (in KiB) from Linux's /proc/meminfo and
// returns bytes; 0 when it is missing or malformed.
func parseMemAvailable(meminfo string) uint64 {
	for _, line := range strings.Split(meminfo, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kib, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil || kib > 1<<50 {
				return 0
			}
			return kib << 10
		}
	}
	return 0
}
