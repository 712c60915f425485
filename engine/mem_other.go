//go:build !linux

package engine

// totalMemory is the machine's memory in bytes, 0 if unknown.
func totalMemory() int64 { return 0 }
