// Package driver runs containers through an OCI runtime for the engine and
// the monitor: onggi's own runtime in-process (the default: no extra process
// on the start path), or any runc-compatible binary (crun, runc) driven by
// its CLI. It also mounts and unmounts a container's rootfs from snapshot
// mounts given as data, so mount(2) for containers stays under runtime/.
//
// It must not import image, engine, monitor, cli, api or compose.
package driver

import (
	"os"
	"syscall"

	"github.com/onggi/onggi/runtime/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// IO is the stdio of a container process. With a terminal the process gets a
// pty instead and ConsoleSocket receives its master (runc's protocol).
type IO struct {
	Stdin          *os.File // nil: /dev/null
	Stdout, Stderr *os.File // nil: /dev/null
	ConsoleSocket  string
	ExtraFiles     []*os.File // preserved fds 3.. (LISTEN_FDS)
}

// Process is a process the driver started and the caller may wait for.
type Process interface {
	Pid() int
	// Wait reaps the process and returns docker's exit code (128+signal
	// for a signalled process).
	Wait() (int, error)
}

// Driver is an OCI runtime as the engine uses it. ids are container ids;
// errors wrap errdefs classes (ErrNotFound for an unknown id, ErrConflict
// for a wrong state, ErrNotRunning).
type Driver interface {
	// Create sets up the container from bundle and returns its init, which
	// is a child of the calling process (for a runtime binary, onggi sets
	// itself child subreaper first, so the init is reparented to it).
	Create(id, bundle string, io IO) (Process, error)
	Start(id string) error
	State(id string) (*specs.State, error)
	Kill(id string, sig syscall.Signal, all bool) error
	Delete(id string, force bool) error
	// Exec runs p in the container; with detach the process is not the
	// caller's child and the returned Process only knows its pid.
	Exec(id string, p *specs.Process, io IO, detach bool) (Process, error)
	Pause(id string) error
	Resume(id string) error
	Update(id string, r *specs.LinuxResources) error
	Processes(id string) ([]int, error)
	Stats(id string) (*cgroups.Stats, error)
}

// Onggi returns the in-process driver for onggi's own runtime with state
// under root (<runroot>/runtime).
func Onggi(root string) (Driver, error) { return newOnggi(root) }

// External returns a driver for a runc-compatible binary (a name looked up
// in PATH, or a path) with state under root (--root).
func External(binary, root string) (Driver, error) { return newExternal(binary, root) }

// Mount is one rootfs mount as data (the image snapshot's mounts).
type Mount struct {
	Type    string
	Source  string
	Options []string
}

// MountRootfs mounts ms (overlay, or a bind of a copy snapshot) at target,
// which must be an existing empty directory. Mounted already: no-op.
func MountRootfs(target string, ms []Mount) error { return mountRootfs(target, ms) }

// UnmountRootfs detaches whatever is mounted at target (lazily if busy).
// Nothing mounted: no-op.
func UnmountRootfs(target string) error { return unmountRootfs(target) }

// SetSubreaper marks the calling process a child subreaper, so the inits of
// containers created by a runtime binary are reparented to it.
func SetSubreaper() error { return setSubreaper() }
