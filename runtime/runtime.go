package runtime

import (
	"errors"
	"fmt"
	"github.com/onggi/onggi/runtime/seccomp"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Error classes. Callers test them with errors.Is; the CLI maps them to exit
// codes in one place.
var (
	ErrNotExist   = errors.New("container does not exist")
	ErrExist      = errors.New("container already exists")
	ErrInvalid    = errors.New("invalid configuration")
	ErrConflict   = errors.New("illegal state transition")
	ErrNotRunning = errors.New("container is not running")
)

// Runtime manages the containers whose state lives under one root directory
// (runc's --root; `onggi-runc` defaults to /run/onggi-runc).
type Runtime struct {
	root          string
	systemdCgroup bool
	seccomp       *seccomp.Cache // compiled profiles, in memory and under root/.seccomp
	warn          io.Writer      // poststart/poststop hook failures are warnings

	// Tests only: the binary the helpers run, and whether to skip the
	// CVE-2019-5736 defence to prove the regression test catches it.
	selfExe      string
	noExeDefence bool
}

// Option configures a Runtime.
type Option func(*Runtime)

// WithSystemdCgroup makes cgroupsPath be read as systemd's "slice:prefix:name"
// (runc's --systemd-cgroup). onggi still drives cgroupfs directly.
func WithSystemdCgroup(on bool) Option { return func(r *Runtime) { r.systemdCgroup = on } }

// Stdio is the standard I/O handed to a container process when it has no
// terminal. Nil members mean the caller's own stdio.
type Stdio struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// CreateOpts are the options of Create (runc create's flags).
type CreateOpts struct {
	Bundle        string // bundle directory holding config.json
	ConsoleSocket string // unix socket receiving the pty master when process.terminal is set
	PidFile       string // file receiving the init's host pid
	NoPivot       bool   // use MS_MOVE+chroot instead of pivot_root
	NoNewKeyring  bool
	PreserveFDs   int // extra fds after stdio passed to the init (LISTEN_FDS style)
	Stdio         Stdio
}

// ExecOpts are the options of Exec (runc exec's flags).
type ExecOpts struct {
	ConsoleSocket string
	PidFile       string
	Detach        bool
	PreserveFDs   int
	Stdio         Stdio
}

// Container is one container known to a Runtime.
type Container struct {
	rt *Runtime
	id string

	// Set only in the process that created the container (Wait).
	proc   *os.Process
	copies *sync.WaitGroup
}

// WithWarnings sets where warnings go (default os.Stderr): failed poststart
// and poststop hooks do not fail the operation, per runtime-spec.
func WithWarnings(w io.Writer) Option { return func(r *Runtime) { r.warn = w } }

// New returns a Runtime keeping state under root.
func New(root string, opts ...Option) (*Runtime, error) {
	if root == "" {
		return nil, fmt.Errorf("%w: empty state root", ErrInvalid)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	r := &Runtime{root: abs, warn: os.Stderr, seccomp: seccomp.NewCache(filepath.Join(abs, ".seccomp"))}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// Create sets up the container described by the bundle and leaves its process
// waiting for Start (status "created").
func (r *Runtime) Create(id string, o CreateOpts) (*Container, error) { return r.create(id, o) }

// Load returns the container id, or an error wrapping ErrNotExist.
func (r *Runtime) Load(id string) (*Container, error) { return r.load(id) }

// List returns every container under the root.
func (r *Runtime) List() ([]*Container, error) { return r.list() }

// ID is the container's id.
func (c *Container) ID() string { return c.id }

// State is the container's state per runtime-spec, refreshed from the live process.
func (c *Container) State() (*specs.State, error) { return c.state() }

// Start runs the user process of a created container (created → running).
func (c *Container) Start() error { return c.start() }

// Wait waits for the init to exit and returns its exit status (128+signal if
// killed). Only the process that created the container can wait for it.
func (c *Container) Wait() (int, error) { return c.wait() }

// Signal sends sig to the init, or to every process of the container if all.
func (c *Container) Signal(sig syscall.Signal, all bool) error { return c.signal(sig, all) }

// Delete removes a stopped container; force kills a running one first.
func (c *Container) Delete(force bool) error { return c.delete(force) }

// Exec runs p inside the running container and returns its host pid. Unless
// o.Detach, the returned process is a child of the caller (see ExecWait).
func (c *Container) Exec(p *specs.Process, o ExecOpts) (*os.Process, error) { return c.exec(p, o) }

// Processes lists the host pids in the container's cgroup.
func (c *Container) Processes() ([]int, error) { return c.processes() }

// Pause freezes every process of the container (running → paused).
func (c *Container) Pause() error { return c.pause() }

// Resume thaws a paused container (paused → running).
func (c *Container) Resume() error { return c.resume() }

// Update changes the container's cgroup resources.
func (c *Container) Update(r *specs.LinuxResources) error { return c.update(r) }
