// Package devices builds and attaches the cgroup v2 device filter: an eBPF
// program of type BPF_PROG_TYPE_CGROUP_DEVICE that reproduces the v1
// devices.allow/devices.deny semantics of an OCI device rule list (cgroup2
// has no devices files; the kernel asks the program instead).
//
// It is written with github.com/cilium/ebpf's asm package, so no C compiler
// or object files are involved. It imports no onggi package.
package devices
