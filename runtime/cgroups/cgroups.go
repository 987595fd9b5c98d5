package cgroups

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Error classes, checked with errors.Is.
var (
	// ErrNotAvailable: the host lacks the controller, hierarchy or control
	// file a request needs (e.g. swap accounting off, no cgroup2 freezer).
	ErrNotAvailable = errors.New("cgroup controller not available")
	// ErrInvalid: the request itself is malformed (bad cgroupsPath, unified
	// key with a path separator, swap below the memory limit, ...).
	ErrInvalid = errors.New("invalid cgroup configuration")
	// ErrNotSupported: this platform has no cgroups.
	ErrNotSupported = errors.New("cgroups are not supported on this platform")
)

// Mode is the layout of the host's cgroup hierarchies.
type Mode int

const (
	// Legacy: cgroup v1 only, one mount per controller (or co-mounted group).
	Legacy Mode = iota + 1
	// Hybrid: cgroup v1 controllers plus a cgroup2 mount at <root>/unified.
	Hybrid
	// Unified: a single cgroup2 hierarchy mounted at the root.
	Unified
)

func (m Mode) String() string {
	switch m {
	case Legacy:
		return "legacy"
	case Hybrid:
		return "hybrid"
	case Unified:
		return "unified"
	}
	return "unknown"
}

// Manager drives one container's cgroup (a directory per v1 hierarchy, or
// one v2 directory).
type Manager interface {
	// Apply creates the cgroup if needed and moves pid into it. On an
	// existing cgroup (exec) it only moves pid in.
	Apply(pid int) error
	// ApplyStart creates the cgroup like Apply and calls start so that the
	// process start creates is born inside it (see start.go); start
	// returns that process's pid. Errors of start come back unwrapped.
	ApplyStart(start StartFunc) error
	// Set writes the limits of r. A resource the host cannot enforce is an
	// error wrapping ErrNotAvailable, except where runc ignores it too
	// (kernel memory, ...), as documented at each controller.
	Set(r *specs.LinuxResources) error
	// Pids lists every pid in the cgroup and its descendants.
	Pids() ([]int, error)
	// Freeze returns once every process is really frozen.
	Freeze() error
	// Thaw resumes a frozen cgroup.
	Thaw() error
	// Stats reads the usage counters.
	Stats() (*Stats, error)
	// Destroy removes the cgroup directories; the processes must be gone.
	Destroy() error
	// Paths maps controller name to absolute directory (v2: key ""; on a
	// hybrid host the cgroup2 directory is under "" as well). Saved in the
	// container state and given back to Load.
	Paths() map[string]string
}

// StartFunc starts a process and returns its pid. cgroupFD is a cgroup2
// directory to start it in with clone3's CLONE_INTO_CGROUP
// (syscall.SysProcAttr.UseCgroupFD), or -1. It runs on an OS thread of its
// own, so it must not ask for Pdeathsig, which is tied to the forking
// thread.
type StartFunc func(cgroupFD int) (pid int, err error)

// FreezeReporter is implemented by every Manager of this package: Frozen
// tells whether the cgroup is frozen now (runc reports such a container as
// "paused" by reading this, so the state survives the runtime process).
type FreezeReporter interface {
	Frozen() (bool, error)
}

// Option configures New, Load and DetectMode.
type Option func(*config)

type config struct {
	systemd      bool
	root         string
	fsMagic      func(path string) (int64, error)
	mountinfo    string
	selfCgroup   string
	threadCgroup string // the calling thread's cgroups (ApplyStart)
}

// WithSystemd makes cgroupsPath read as systemd's "slice:prefix:name" (runc's
// --systemd-cgroup). The cgroup is still created through cgroupfs, at the
// path systemd would give the scope.
func WithSystemd(on bool) Option { return func(c *config) { c.systemd = on } }

// WithMountRoot sets where the hierarchies are mounted (default
// /sys/fs/cgroup). Tests point it at a fake tree.
func WithMountRoot(dir string) Option { return func(c *config) { c.root = dir } }

// WithFSMagic replaces statfs(2) for detecting the filesystem type of the
// mount root and its "unified" subdirectory, so a plain directory can pose
// as cgroup2 (CGROUP2_SUPER_MAGIC) or tmpfs in tests.
func WithFSMagic(f func(path string) (int64, error)) Option {
	return func(c *config) { c.fsMagic = f }
}

// WithProcFiles replaces /proc/self/mountinfo and /proc/self/cgroup, which
// tell where the v1 hierarchies are mounted and which cgroup a relative
// cgroupsPath is relative to. selfCgroup also stands for
// /proc/thread-self/cgroup.
func WithProcFiles(mountinfo, selfCgroup string) Option {
	return func(c *config) { c.mountinfo, c.selfCgroup, c.threadCgroup = mountinfo, selfCgroup, selfCgroup }
}

func newConfig(opts []Option) *config {
	c := &config{
		root:         "/sys/fs/cgroup",
		mountinfo:    "/proc/self/mountinfo",
		selfCgroup:   "/proc/self/cgroup",
		threadCgroup: "/proc/thread-self/cgroup",
	}
	for _, o := range opts {
		o(c)
	}
	if c.fsMagic == nil {
		c.fsMagic = statfsMagic
	}
	return c
}
