package ipam

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// flock takes an exclusive flock(2) on f, retrying on EINTR. The lock
// belongs to the open file description: two opens in one process exclude
// each other like two processes, and the kernel drops it when its holder
// dies, so kill -9 leaves no stale lock.
func flock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
		}
		return nil
	}
}
