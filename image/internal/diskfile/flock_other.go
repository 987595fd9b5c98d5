//go:build !unix

package diskfile

import "os"

// Without flock(2) there is no cross-process exclusion; onggi only runs
// on Linux, this keeps the package compiling elsewhere.
func tryLock(f *os.File, shared bool) (bool, error) { return true, nil }

func unlock(f *os.File) error { return nil }
