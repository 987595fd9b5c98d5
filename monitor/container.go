package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container/jsonlog"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/runtime"
	"github.com/onggi/onggi/runtime/driver"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Restart back-off, docker's: 100ms doubling up to a minute, back to the
// start once a run lasted 10s.
const (
	backoffInitial = 100 * time.Millisecond
	backoffMax     = time.Minute
	backoffReset   = 10 * time.Second
)

// ctr is one container the monitor holds, across its restarts.
type ctr struct {
	s    *server
	spec Spec
	drv  driver.Driver
	proc *specs.Process // config.json's process: health checks run like it
	log  *jsonlog.Writer

	hookMu sync.Mutex // Hooks are never called concurrently for one id
	delay  time.Duration

	mu       sync.Mutex
	run      *run // nil between runs (restart back-off)
	last     Exit
	sessions map[*srvSession]struct{}
	health   ctypes.Health
}

// run is one start of the container.
type run struct {
	started time.Time
	proc    driver.Process
	stdin   *os.File   // pipe write end or pty master; nil: no input
	master  *os.File   // tty only
	outputs []*os.File // read ends the copiers drain
	streams []io.WriteCloser
	copiers sync.WaitGroup
	oom     oomCounter
	health  *healthRun

	done chan struct{} // closed with exit set
	exit Exit
}

// handleStart creates and starts a container, attaching the connection to
// it first when the client asked for streams.
func (s *server) handleStart(conn *net.UnixConn, br io.Reader, req *request) {
	if req.Spec == nil || req.Spec.ID == "" || req.Spec.Bundle == "" {
		s.reply(conn, errorResponse(fmt.Errorf("monitor: start needs a spec with id and bundle: %w", errdefs.ErrInvalid)))
		return
	}
	defer s.span(req.Spec.ID, "start")()
	endHold := s.span(req.Spec.ID, "hold")
	c, err := s.hold(*req.Spec)
	endHold()
	if err != nil {
		s.reply(conn, errorResponse(err))
		return
	}
	var sess *srvSession
	if req.Stdin || req.Stdout || req.Stderr {
		sess = newSrvSession(conn, req)
		c.addSession(sess)
	}
	if err := c.startRun(); err != nil {
		c.release()
		s.reply(conn, errorResponse(err))
		return
	}
	if err := s.reply(conn, response{}); err != nil || sess == nil {
		if sess != nil {
			c.dropSession(sess)
		}
		return
	}
	sess.serve(c, br)
}

// hold registers a new container (a conflict if it is held already).
func (s *server) hold(spec Spec) (*ctr, error) {
	drv, err := s.cfg.Driver(spec.Runtime, spec.RuntimeRoot)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", spec.ID, err)
	}
	proc, err := readProcess(spec.Bundle)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", spec.ID, err)
	}
	if proc.Terminal != spec.Tty {
		// Otherwise the console socket would wait for a master that never comes.
		return nil, fmt.Errorf("starting %s: Tty %v but config.json's process.terminal %v: %w",
			spec.ID, spec.Tty, proc.Terminal, errdefs.ErrInvalid)
	}
	c := &ctr{s: s, spec: spec, drv: drv, proc: proc, sessions: map[*srvSession]struct{}{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, fmt.Errorf("starting %s: monitor is stopping: %w", spec.ID, errdefs.ErrUnavailable)
	}
	if _, ok := s.ctrs[spec.ID]; ok {
		return nil, fmt.Errorf("container %s is already running: %w", spec.ID, errdefs.ErrConflict)
	}
	if spec.Log.Path != "" {
		if c.log, err = jsonlog.Open(spec.Log.Path, spec.Log.MaxSize, spec.Log.MaxFiles); err != nil {
			return nil, fmt.Errorf("starting %s: opening log: %w", spec.ID, err)
		}
	}
	s.ctrs[spec.ID] = c
	s.checkIdle()
	return c, nil
}

// release forgets a container whose first start failed; the engine
// records that failure from the start reply, so no hook runs.
func (c *ctr) release() {
	c.s.forget(c)
	c.endSessions(nil)
	if c.log != nil {
		c.log.Close()
	}
}

// readProcess reads the process of a bundle's config.json.
func readProcess(bundle string) (*specs.Process, error) {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("reading bundle: %w", err)
	}
	// Only the process is decoded: the rest of the spec (mounts, seccomp
	// rules: most of its ~12 KB) is the runtime's business.
	var sp struct {
		Process *specs.Process `json:"process,omitempty"`
	}
	if err := json.Unmarshal(data, &sp); err != nil {
		return nil, fmt.Errorf("reading %s: %v: %w", filepath.Join(bundle, "config.json"), err, errdefs.ErrInvalid)
	}
	if sp.Process == nil {
		return nil, fmt.Errorf("bundle %s has no process: %w", bundle, errdefs.ErrInvalid)
	}
	return sp.Process, nil
}

// current returns the running run, or nil and the last exit in back-off.
func (c *ctr) current() (*run, Exit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.run, c.last
}

// startRun creates and starts one run. Copying starts before Start, so an
// attached client misses no output.
func (c *ctr) startRun() (retErr error) {
	id := c.spec.ID
	r := &run{done: make(chan struct{})}
	dio, childEnds, cs, err := c.stdio(r)
	if err != nil {
		return fmt.Errorf("starting %s: %w", id, err)
	}
	defer func() {
		closeAll(childEnds)
		if cs != nil {
			cs.close()
		}
		if retErr != nil {
			closeAll(r.outputs)
			closeAll([]*os.File{r.stdin, r.master})
		}
	}()
	endCreate := c.s.span(id, "driver.create")
	proc, err := c.drv.Create(id, c.spec.Bundle, dio)
	endCreate()
	if err != nil {
		return err // the driver's errors name the container
	}
	r.proc = proc
	closeAll(childEnds)
	childEnds = nil
	if cs != nil {
		if r.master, err = cs.receive(); err != nil {
			c.abort(proc)
			return fmt.Errorf("starting %s: %w", id, err)
		}
		r.stdin, r.outputs = r.master, []*os.File{r.master}
	}
	r.oom = watchOOM(proc.Pid())
	c.startCopiers(r)
	endStart := c.s.span(id, "driver.start")
	err = c.drv.Start(id)
	endStart()
	if err != nil {
		c.abort(proc)
		closeAll(r.outputs)
		r.copiers.Wait()
		return err
	}
	c.started(r)
	return nil
}

// abort removes a container that was created but did not start.
func (c *ctr) abort(proc driver.Process) {
	if err := c.drv.Delete(c.spec.ID, true); err != nil {
		c.s.cfg.Logf("monitor: deleting %s after a failed start: %v", c.spec.ID, err)
	}
	go proc.Wait() // reap it if the driver did not
}

// started records the run and starts its wait (and health) goroutines.
func (c *ctr) started(r *run) {
	r.started = time.Now()
	c.mu.Lock()
	c.run = r
	c.mu.Unlock()
	c.hookMu.Lock()
	if h := c.s.cfg.Hooks.Started; h != nil {
		if err := h(c.spec.ID, r.proc.Pid(), r.started); err != nil {
			c.s.cfg.Logf("monitor: recording start of %s: %v", c.spec.ID, err)
		}
	}
	c.hookMu.Unlock()
	if c.spec.Health != nil {
		r.health = c.startHealth(r)
	}
	go c.waitRun(r)
}

// waitRun waits for the run's end, records it, and restarts or finishes
// the container.
func (c *ctr) waitRun(r *run) {
	ex := Exit{}
	endRun := c.s.span(c.spec.ID, "run")
	waitExited(r.proc.Pid())
	endRun()
	defer c.s.span(c.spec.ID, "exit-to-reply")()
	code, err := r.proc.Wait()
	ex.At, ex.Code = time.Now(), code
	if err != nil {
		ex.Code, ex.Err = 255, fmt.Sprintf("waiting for the container: %v", err)
	}
	// Before Delete: it removes the cgroup that counted the OOM kills.
	ex.OOMKilled = r.oom.killed()
	if r.health != nil {
		r.health.stop()
	}
	endDrain := c.s.span(c.spec.ID, "drain")
	c.drain(r)
	endDrain()
	endDelete := c.s.span(c.spec.ID, "driver.delete")
	if err := c.drv.Delete(c.spec.ID, true); err != nil {
		c.s.cfg.Logf("monitor: deleting %s: %v", c.spec.ID, err)
	}
	endDelete()
	// The Exited hook records the exit before the run is cleared: a Wait
	// arriving meanwhile still sees the run and is answered by endRun,
	// after the record says how it ended.
	restart := c.exited(ex)
	c.mu.Lock()
	c.run, c.last = nil, ex
	c.mu.Unlock()
	if !restart {
		c.finish(r, ex)
		return
	}
	c.endRun(r, ex)
	if time.Since(r.started) >= backoffReset || c.delay == 0 {
		c.delay = backoffInitial
	} else {
		c.delay = min(2*c.delay, backoffMax)
	}
	c.restart()
}

// drain lets the copiers write everything the run printed before its exit
// is reported. A process outside the container's pid namespace may keep a
// pipe open: after a grace period the read ends are closed.
func (c *ctr) drain(r *run) {
	done := make(chan struct{})
	go func() { r.copiers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		closeAll(r.outputs)
		<-done
	}
	closeAll(r.outputs)
	closeAll([]*os.File{r.stdin})
	for _, s := range r.streams {
		s.Close() // flushes a trailing partial line
	}
}

func (c *ctr) exited(ex Exit) bool {
	c.hookMu.Lock()
	defer c.hookMu.Unlock()
	if h := c.s.cfg.Hooks.Exited; h != nil {
		return h(c.spec.ID, ex)
	}
	return false
}

// restart waits the back-off delay and starts a new run; a failed start
// counts as an exit the policy sees.
func (c *ctr) restart() {
	for {
		time.Sleep(c.delay)
		c.hookMu.Lock()
		ok := c.s.cfg.Hooks.BeforeRestart == nil || c.s.cfg.Hooks.BeforeRestart(c.spec.ID)
		c.hookMu.Unlock()
		if !ok {
			c.finish(nil, c.last)
			return
		}
		err := c.startRun()
		if err == nil {
			return
		}
		ex := Exit{Code: startErrorCode(err), At: time.Now(), Err: err.Error()}
		c.mu.Lock()
		c.last = ex
		c.mu.Unlock()
		if !c.exited(ex) {
			c.finish(nil, ex)
			return
		}
		c.delay = min(2*c.delay, backoffMax)
	}
}

// startErrorCode is docker's exit code for a container that failed to start.
func startErrorCode(err error) int {
	switch {
	case errors.Is(err, runtime.ErrNoExecutable):
		return 127
	case errors.Is(err, os.ErrPermission):
		return 126
	}
	return 125
}

// finish ends a container for good: Done first, then the attached clients
// and waiters learn the exit. It is forgotten before they do, so a client
// may start it again at once.
func (c *ctr) finish(r *run, ex Exit) {
	c.hookMu.Lock()
	if h := c.s.cfg.Hooks.Done; h != nil {
		h(c.spec.ID)
	}
	c.hookMu.Unlock()
	c.s.forget(c)
	c.endRun(r, ex)
	if c.log != nil {
		if err := c.log.Close(); err != nil {
			c.s.cfg.Logf("monitor: closing log of %s: %v", c.spec.ID, err)
		}
	}
}

// endRun sends the exit to attached sessions and completes waiters.
func (c *ctr) endRun(r *run, ex Exit) {
	b, _ := json.Marshal(ex)
	c.endSessions(encodeFrame(frameExit, b))
	if r != nil {
		r.exit = ex
		close(r.done)
	}
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}
