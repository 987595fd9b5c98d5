// Package reexec lets the onggi binary re-execute itself as a small helper
// (container init, monitor, nsenter) chosen by argv[0].
//
// Helpers are registered by main, never by init() functions, so a subsystem
// package stays free of global state. It imports nothing from onggi.
package reexec

import "os"

var entries = map[string]func(){}

// Register makes fn the body of the process whose argv[0] is name.
// It panics on a duplicate name: that is a programming error.
func Register(name string, fn func()) {
	if _, dup := entries[name]; dup {
		panic("reexec: duplicate entry " + name)
	}
	entries[name] = fn
}

// Init runs the entry registered for os.Args[0], if any, and reports whether
// it did. main returns at once when it reports true.
func Init() bool {
	fn, ok := entries[os.Args[0]]
	if !ok {
		return false
	}
	fn()
	return true
}

// Self is the path of the running binary as the kernel sees it. Callers that
// re-execute it for a container must copy it into a sealed memfd first
// (CVE-2019-5736); Self is only for helpers that never enter a container.
func Self() string {
	return "/proc/self/exe"
}
