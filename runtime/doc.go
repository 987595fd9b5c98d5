// Package runtime is onggi's OCI runtime (runtime-spec 1.x): an OCI bundle in,
// an isolated process out. It knows nothing of images, names or networks.
// It is used in-process by the engine and, through cli/, as the
// runc-compatible `onggi runtime` / `onggi-runc` command line.
//
// runtime imports no other onggi subsystem; its own subpackages (rootfs,
// cgroups, seccomp, hooks, nsenter) are its building blocks.
//
// # Processes
//
// Create re-executes the onggi binary as the container init
// ("onggi-runtime-init", registered by main through RegisterHelpers). The
// binary is never executed by path: openSelfExe gives a detached read-only
// bind mount of /proc/self/exe (open_tree + mount_setattr: no copy, no
// mount in any namespace), or a sealed memfd copy where that is refused, so
// a container reopening /proc/<init>/exe for writing gets EROFS
// (CVE-2019-5736).
//
// New namespaces are created by Go's own clone (SysProcAttr.Cloneflags and
// UidMappings): one clone, the fast path. When a namespace is joined by
// path or a time namespace is asked for, the nsenter package's cgo
// constructor does the joins and unshares before the Go runtime starts (see
// its doc). Exec always goes through nsenter: it joins every namespace of
// the init, then its root.
//
// The parent and the init talk JSON over a socketpair (sync.go): config →
// [hooks → hooks-done] → ready. The parent puts the init in its cgroup
// before sending the config, so the init's later unshare(CLONE_NEWCGROUP)
// roots the cgroup namespace at the container's cgroup. The init mounts
// (rootfs.Prepare), has the parent run prestart and createRuntime hooks,
// runs createContainer hooks, pivots, writes sysctls and hostname, sets up
// the console (pty opened inside the container, master sent over the
// console socket with SCM_RIGHTS), applies masked/readonly paths
// (rootfs.Finalize), then the process attributes (rlimits, oom score, user
// and the five capability sets, umask, cwd verified to be inside the root
// against CVE-2024-21626), marks every fd above the preserved ones
// close-on-exec and reports ready.
//
// Seccomp is loaded last, just before exec, in both cases: without
// noNewPrivileges the init keeps CAP_SYS_ADMIN effective until the load
// (it needs it, as runc does) and drops it right after. A Go process that
// starts a thread under a profile refusing clone3 or rseq dies
// (runtime-tools' default profile does), so the window must be minimal.
//
// The cgroup gets the spec's device rules followed by allow rules for the
// default devices, linux.devices, ptys and mknod (resources.go), as runc
// adds them; otherwise a "deny all" spec leaves /dev/null unusable.
//
// # Start
//
// The init then blocks in accept(2) on a unix socket bound in the state
// directory (start.sock). Start, from any process, connects; the init sets
// noNewPrivileges and seccomp, runs startContainer hooks and execs. The
// connection is close-on-exec, so Start reads EOF once exec succeeded, or
// the error text otherwise: no fifo, no polling, and Start knows the
// outcome. The socket file's existence is the "created" status.
//
// # State
//
// <root>/<id>/state.json (written by rename) records the init's pid and
// start time (from /proc/<pid>/stat), so a reused pid is seen as stopped;
// the status is derived from the live process each time. Signals to the
// init go through a pidfd. State-changing operations take a flock on the
// container's directory; a directory without state.json nobody holds
// locked (a Create killed midway) is removed by the next Create of the id.
//
// Delete without force removes a created container (its user process never
// ran), as runc does and containerd's shim relies on; a running or paused
// one needs force.
//
// # Inherited namespaces
//
// A namespace type the config does not list is the runtime's (runtime-spec).
// Without a mount namespace the init mounts in the runtime's own mount
// table, below a bind of the rootfs onto itself, and chroots; Create
// records those mounts in state.json and Delete (or a failed Create)
// unmounts them, so the host's table ends as it was (runc leaves them
// behind). See hostns.go. A user namespace without a mount namespace is
// refused: it could not mount in the runtime's.
package runtime
