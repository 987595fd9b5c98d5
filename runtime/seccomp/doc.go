// Package seccomp turns a runtime-spec `linux.seccomp` section into a BPF
// filter and loads it (with libseccomp, through libseccomp-golang), validates
// such sections without loading them, describes what it supports for
// `runtime features`, and produces Docker's default profile for the engine.
//
// It owns nothing else: the caller (the container init in runtime/) decides
// when to load — after the last privileged step and right before execve, on a
// thread locked with runtime.LockOSThread — and whether no_new_privs is set.
// Loading never sets no_new_privs itself (runc behaves the same), so a caller
// without CAP_SYS_ADMIN must set process.noNewPrivileges first.
//
// Semantics follow runc where the spec leaves room: unknown syscall names are
// skipped (the kernel or libseccomp may not know them yet), unknown actions,
// operators, architectures and flags are errors; several argument conditions
// on one rule are ANDed, except conditions on the same argument index, which
// libseccomp cannot AND and which therefore become one rule each (ORed);
// SCMP_ACT_ERRNO and SCMP_ACT_TRACE default to EPERM; a rule whose action
// equals the default action is dropped (libseccomp refuses it).
//
// Compiling and loading are separate steps. Compile does all of
// libseccomp's work: it builds the filter and exports the BPF program that
// libseccomp would load. Filter.Load then installs that program with one
// seccomp(2) call, passing the spec's flags (TSYNC always, LOG, SPEC_ALLOW,
// WAIT_KILLABLE_RECV, NEW_LISTENER for SCMP_ACT_NOTIFY) to the kernel
// itself, so flags work whatever libseccomp's version and loading allocates
// nothing: the init can compile before it applies process.rlimits (a small
// RLIMIT_AS made libseccomp's own load fail with ENOMEM) and load after.
// Load is Compile followed by Filter.Load.
//
// libseccomp work happens only in Compile and Features, never at package
// initialisation (libseccomp-golang's own init asks libseccomp for its API
// level: ~25µs). The package imports no other onggi package.
package seccomp
