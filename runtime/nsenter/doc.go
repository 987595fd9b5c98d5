// Package nsenter is the single-threaded prologue of onggi's re-executed
// helpers: a small cgo constructor (nsenter.c) that runs before the Go
// runtime starts its threads, joins namespaces by path and unshares the ones
// that cannot be created by clone(2) from Go.
//
// Design. A container whose namespaces are all new is started with Go's own
// clone flags (SysProcAttr.Cloneflags, UidMappings): one clone, no extra
// process, the fast path. Everything Go cannot do is done here, driven by
// environment variables the parent sets (see Config.Env):
//
//   - joining namespaces by path (setns into a user or mount namespace is
//     refused to multi-threaded processes): the user namespace first, so the
//     other joins are checked against its capabilities;
//   - new namespaces after joins (unshare), since a namespace created by the
//     parent's clone would be owned by the wrong user namespace; for a new
//     user namespace the parent writes uid_map/gid_map on request;
//   - a new time namespace (offsets must be written before anyone enters it,
//     and entering it needs a single thread);
//   - a joined or new pid namespace only applies to children: the
//     constructor forks once with CLONE_PARENT, so the process that lives on
//     is a child of the runtime (it can wait for it) and the intermediate
//     exits at once.
//
// The constructor reports to the parent over the sync socket in lines:
// "userns <pid>" (answer "ok" once the maps are written), then "pid <pid>"
// (the host pid of the process that lives on), or "error <message>".
// The cgroup namespace is never unshared here: the container init does it in
// Go once the parent has put it in its cgroup, so the namespace's root is the
// container's cgroup.
//
// Importing this package links the constructor into the binary; it does
// nothing unless _ONGGI_NSENTER is set. It imports nothing from onggi.
package nsenter
