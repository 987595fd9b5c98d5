//go:build linux

package fscopy

import "syscall"

// ctimeNs is the inode change time, which user space cannot set.
func ctimeNs(st *syscall.Stat_t) int64 { return st.Ctim.Nano() }
