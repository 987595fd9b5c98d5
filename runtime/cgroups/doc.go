// Package cgroups places container processes in control groups and applies
// an OCI LinuxResources to them, on cgroup v1 ("legacy"), hybrid (v1
// controllers plus a cgroup2 mount at <root>/unified) and pure cgroup v2
// ("unified") hosts.
//
// It talks to cgroupfs directly (no systemd D-Bus); the systemd
// "slice:prefix:name" cgroupsPath syntax is accepted and mapped to the
// cgroupfs directory systemd itself would use. Each controller has one file
// per hierarchy version: fs1_<controller>.go for v1, fs2_<controller>.go for
// v2. The v2 device controller is an eBPF program built by the devices
// subpackage.
//
// Manager.ApplyStart starts the container's first process inside its cgroup
// instead of moving it there (start.go): moving a process takes a global
// kernel lock whose first writer waits for an RCU grace period, 5–15 ms,
// while a process born in place costs nothing extra.
//
// Besides its devices subpackage it imports no onggi package; runtime/ is
// its only user. Tests run against fake trees (fake_test.go, testdata/) and,
// as root, against the real host (host_linux_test.go).
package cgroups
