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
// libseccomp work happens only when Load, Features or the compile step is
// called, never at package initialisation. The package imports no other
// onggi package.
package seccomp
