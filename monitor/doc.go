// Package monitor supervises running containers. One monitor process per
// runroot (re-executed from onggi, in its own session) holds every running
// container's init, its stdio pipes or pty master, writes its json-file log
// (rotated), records exits, applies the restart back-off, runs health
// checks, and streams stdio to attached clients over a unix socket. Sharing
// one process among containers is what keeps idle memory per container below
// conmon's (docs/architecture.md, "Supervision").
//
// An idle container costs the monitor a wait goroutine parked on the init's
// pidfd and one copier goroutine per output parked in the runtime poller;
// no OS thread, no timer (unless it has a health check) and no buffer: the
// copiers take a 32 KiB buffer from a pool only once their pipe is readable.
//
// Wire protocol on <dir>/monitor.sock: one JSON request line (op start,
// attach, wait or running), one JSON response line (an error carries a
// class — notfound, exists, invalid, conflict, notrunning, noexec,
// permission… — that the client turns back into the errdefs sentinel,
// runtime.ErrNoExecutable or os.ErrPermission), then for attach sessions
// frames both ways: an 8-byte header [kind 0 0 0 len(uint32 BE)] and the
// payload. Kinds from the monitor: 1 stdout, 2 stderr (docker's stdcopy
// framing), 3 exit (JSON Exit), 4 detached; from the client: 0 stdin,
// 5 stdin EOF, 6 resize (JSON Size).
//
// OOMKilled is true when the kernel's oom_kill counter of the container's
// memory cgroup (memory.events on cgroup v2, memory.oom_control on v1) grew
// during the run; it is read after the init is reaped and before the
// runtime deletes the cgroup.
//
// The mechanics live here; the policy (what a record says, whether to
// restart, what --rm removes) comes from the engine through Hooks, so this
// package imports no engine code. It must not import engine, cli, api or
// compose.
package monitor
