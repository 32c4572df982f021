//go:build !linux

package fleet

// availableMemory is unknown off Linux: Workers then caps the count instead.
func availableMemory() uint64 { return 0 }
