// Package flock takes exclusive flock(2) locks for the stores that keep
// one lock file per object (containers, volumes, networks, IPAM tables).
package flock

import "os"

// Lock takes an exclusive flock(2) on f, blocking, and retries on EINTR.
// flock locks belong to the open file description, so two opens in one
// process exclude each other as two processes do (goroutines are safe),
// and the kernel drops the lock when its holder dies: kill -9 leaves no
// stale lock. Unlock by closing f.
func Lock(f *os.File) error { return lock(f) }
