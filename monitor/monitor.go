package monitor

import (
	"context"
	"io"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/runtime/driver"
)

// Spec is what the monitor needs to run one container. The engine builds it
// from the container record on every start.
type Spec struct {
	ID     string
	Bundle string // config.json plus the mounted rootfs
	// Runtime is "" (onggi's own, in-process) or a runc-compatible binary.
	Runtime     string
	RuntimeRoot string // the runtime's state directory

	Tty       bool
	OpenStdin bool // keep a stdin pipe (or the pty input) open for attach
	StdinOnce bool // close the container's stdin when the first attached client detaches

	Log LogConfig
	// Health is nil when the container has no health check.
	Health *HealthConfig
}

// LogConfig is the json-file log's location and rotation.
type LogConfig struct {
	Path     string
	MaxSize  int64 // bytes per file; 0 = unbounded
	MaxFiles int   // files kept including the current one (>= 1)
}

// HealthConfig is a resolved HEALTHCHECK (durations defaulted).
type HealthConfig struct {
	Test          []string // CMD form argv (CMD-SHELL already expanded to sh -c)
	Interval      time.Duration
	Timeout       time.Duration
	StartPeriod   time.Duration
	StartInterval time.Duration
	Retries       int
}

// Exit is how one run of a container ended.
type Exit struct {
	Code      int
	OOMKilled bool
	At        time.Time
	// Err is set when onggi failed (create/start error, lost process)
	// rather than the application exiting.
	Err string
}

// Hooks are the engine's policy, called inside the monitor process. Each is
// called from one goroutine per container, never concurrently for one id.
type Hooks struct {
	// Started records that the container's init runs as pid.
	Started func(id string, pid int, at time.Time) error
	// Exited records an exit and reports whether the restart policy wants
	// the container restarted (the monitor then waits its back-off delay).
	Exited func(id string, ex Exit) (restart bool)
	// BeforeRestart is called when the back-off delay has passed; false
	// cancels the restart (stopped or removed meanwhile). It records the
	// restart (count, state) when it returns true.
	BeforeRestart func(id string) bool
	// Health records the container's health after each check.
	Health func(id string, h ctypes.Health) error
	// Done is called once the container is finished for good (no restart
	// follows): the engine unmounts it and, for --rm, removes it. Attached
	// clients get the exit status only after Done returns.
	Done func(id string)
}

// Config configures Serve.
type Config struct {
	// Dir holds monitor.sock and monitor.lock (<runroot>/monitor).
	Dir   string
	Hooks Hooks
	// Driver returns the driver for a Spec's Runtime and RuntimeRoot.
	Driver func(runtime, root string) (driver.Driver, error)
	// IdleExit is how long the monitor lingers with no container and no
	// client before exiting (0 = at once).
	IdleExit time.Duration
	// Ready, if set, is closed (or written) once the socket listens; the
	// spawner waits on it instead of polling.
	Ready io.WriteCloser
	Logf  func(format string, args ...any)
}

// Serve runs the monitor in the calling process until it has been idle for
// IdleExit. A second monitor on the same Dir returns nil at once (the lock
// is held by the first).
func Serve(ctx context.Context, cfg Config) error { return serve(ctx, cfg) }

// Size is a terminal size.
type Size struct{ Width, Height uint16 }

// Attach are a client's streams. Nil members are not attached.
type Attach struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer // with a tty everything arrives on Stdout
	// DetachKeys ends the session without stopping the container when read
	// from Stdin (default ctrl-p,ctrl-q; docker's --detach-keys syntax is
	// parsed by the caller).
	DetachKeys []byte
}

// Result is how an attached session ended.
type Result struct {
	Detached bool // the client detached; the container still runs
	Exit     Exit // valid when !Detached
}

// Client talks to the monitor of one runroot.
type Client struct {
	dir   string
	spawn func() error
}

// NewClient returns a client for the monitor in dir. spawn starts a monitor
// process (the engine re-executes onggi) and returns once it is ready; it is
// called when no monitor answers.
func NewClient(dir string, spawn func() error) *Client { return &Client{dir: dir, spawn: spawn} }

// Start has the monitor create and start the container. With a non-nil
// attach, the session is attached before the container starts, so no output
// is missed; Start returns once the container runs (or failed to start:
// the error wraps runtime.ErrNoExecutable for docker's 127, and so on).
func (c *Client) Start(ctx context.Context, s Spec, a *Attach) (*Session, error) {
	return c.start(ctx, s, a)
}

// Attach attaches to a running container held by the monitor
// (errdefs.ErrNotRunning if it holds none by that id).
func (c *Client) Attach(ctx context.Context, id string, a *Attach) (*Session, error) {
	return c.attach(ctx, id, a)
}

// Wait blocks until the container's current run ends and returns how it
// ended. ok is false when the monitor holds no such container (it is not
// running); the caller then reads the record.
func (c *Client) Wait(ctx context.Context, id string) (ex Exit, ok bool, err error) {
	return c.wait(ctx, id)
}

// Running lists the ids the monitor holds; a missing monitor holds none
// (and is not started).
func (c *Client) Running(ctx context.Context) ([]string, error) { return c.running(ctx) }

// Session is one attached client.
type Session struct{ impl sessionImpl }

// Resize sets the container's terminal size (tty only).
func (s *Session) Resize(sz Size) error { return s.impl.resize(sz) }

// Wait copies the streams until the container exits or the client detaches.
func (s *Session) Wait() (Result, error) { return s.impl.wait() }

// Close detaches the session.
func (s *Session) Close() error { return s.impl.close() }
