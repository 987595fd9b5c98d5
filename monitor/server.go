package monitor

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/runtime/driver"
	"golang.org/x/sys/unix"
)

// server is one monitor: the containers it holds and its listener.
type server struct {
	cfg  Config
	sock string
	ln   *net.UnixListener

	mu      sync.Mutex
	ctrs    map[string]*ctr
	clients int
	closing bool
	idle    *time.Timer
	stop    chan struct{} // closed once the monitor stops accepting
	trim    *trimmer
	timing  *os.File // timing.log when ONGGI_DEBUG_TIMING=1, else nil
}

// timingEnv is engine.TimingEnv: with it set to "1" the monitor appends its
// hot-path spans to <dir>/timing.log (the engine's spans in this process
// go to the same file).
const timingEnv = "ONGGI_DEBUG_TIMING"

func noSpan() {}

// span starts a timing span; the result ends it. Off, it costs a nil check.
func (s *server) span(id, name string) func() {
	if s.timing == nil {
		return noSpan
	}
	start := time.Now()
	return func() {
		fmt.Fprintf(s.timing, "timing %d monitor.%-20s %.12s start=%s took=%7.3fms\n", os.Getpid(), name, id,
			start.Format("15:04:05.000000"), float64(time.Since(start).Microseconds())/1000)
	}
}

func serve(ctx context.Context, cfg Config) error {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("monitor: %w", err)
	}
	lock, err := lockDir(cfg.Dir)
	if lock == nil || err != nil {
		return err // nil error: another monitor serves this dir
	}
	defer lock.Close() // releases the flock, last, after the socket is gone
	s := &server{cfg: cfg, sock: filepath.Join(cfg.Dir, "monitor.sock"),
		ctrs: map[string]*ctr{}, stop: make(chan struct{}), trim: newTrimmer()}
	if err := s.listen(); err != nil {
		return err
	}
	if os.Getenv(timingEnv) == "1" {
		if f, err := os.OpenFile(filepath.Join(cfg.Dir, "timing.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			defer f.Close()
			s.timing = f
		}
	}
	if err := driver.SetSubreaper(); err != nil {
		cfg.Logf("monitor: setting child subreaper: %v", err)
	}
	// Notify rather than Ignore: the signals then do nothing to us, and
	// signal.Stop restores the caller's handling when Serve returns. Set
	// before readiness, so a SIGTERM right after it is not fatal.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if cfg.Ready != nil {
		_, _ = cfg.Ready.Write([]byte{0})
		_ = cfg.Ready.Close()
	}
	return s.run(ctx, sigs)
}

// lockDir takes the monitor's lock; (nil, nil) when another monitor has it.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "monitor.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("monitor: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, fmt.Errorf("monitor: locking %s: %w", f.Name(), err)
	}
	return f, nil
}

// listen replaces a stale socket (we hold the lock, so nobody serves it).
func (s *server) listen() error {
	if err := os.Remove(s.sock); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("monitor: removing stale socket: %w", err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: s.sock, Net: "unix"})
	if err != nil {
		return fmt.Errorf("monitor: %w", err)
	}
	// We remove the socket ourselves, before the lock is released, so a
	// successor's socket is never unlinked by us.
	ln.SetUnlinkOnClose(false)
	s.ln = ln
	return nil
}

// run accepts clients until the monitor is idle, ctx ends or SIGTERM.
func (s *server) run(ctx context.Context, sigs <-chan os.Signal) error {
	go func() {
		for {
			select {
			case sig := <-sigs:
				if sig == syscall.SIGTERM {
					s.shutdown("SIGTERM")
					return
				}
			case <-ctx.Done():
				s.shutdown("context done")
				return
			case <-s.stop:
				return
			}
		}
	}()
	s.mu.Lock()
	s.checkIdle()
	s.mu.Unlock()
	for {
		conn, err := s.ln.AcceptUnix()
		if err != nil {
			s.shutdown("accept: " + err.Error())
			return nil
		}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			conn.Close() // the client sees EOF before a response and retries
			continue
		}
		s.clients++
		s.checkIdle()
		s.mu.Unlock()
		go s.handle(conn)
	}
}

// shutdown stops accepting; containers keep running (the engine reconciles
// their records if nobody supervises them any more).
func (s *server) shutdown(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.cfg.Logf("monitor: stopping: %s", why)
	s.closing = true
	close(s.stop)
	os.Remove(s.sock)
	s.ln.Close()
}

// checkIdle arms the idle timer when nothing is held and nobody is
// connected, and disarms it otherwise. s.mu is held.
func (s *server) checkIdle() {
	s.trim.activity()
	busy := len(s.ctrs) > 0 || s.clients > 0
	if busy || s.closing {
		if s.idle != nil {
			s.idle.Stop()
			s.idle = nil
		}
		return
	}
	if s.idle == nil {
		s.idle = time.AfterFunc(s.cfg.IdleExit, s.idleExit)
	}
}

func (s *server) idleExit() {
	s.mu.Lock()
	idle := len(s.ctrs) == 0 && s.clients == 0
	s.mu.Unlock()
	if idle {
		s.shutdown("idle")
	}
}

// handle serves one connection: a request line, a response line, and for
// attach sessions the frame stream.
func (s *server) handle(conn *net.UnixConn) {
	defer func() {
		conn.Close()
		s.mu.Lock()
		s.clients--
		s.checkIdle()
		s.mu.Unlock()
	}()
	br := bufio.NewReader(conn)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		s.reply(conn, errorResponse(fmt.Errorf("monitor: bad request: %v: %w", err, errdefs.ErrInvalid)))
		return
	}
	switch req.Op {
	case opStart:
		s.handleStart(conn, br, &req)
	case opAttach:
		s.handleAttach(conn, br, &req)
	case opWait:
		s.handleWait(conn, req.ID)
	case opRunning:
		s.reply(conn, response{IDs: s.held()})
	default:
		s.reply(conn, errorResponse(fmt.Errorf("monitor: unknown op %q: %w", req.Op, errdefs.ErrInvalid)))
	}
}

func (s *server) reply(conn net.Conn, r response) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = conn.Write(append(b, '\n'))
	return err
}

func (s *server) held() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.ctrs))
	for id := range s.ctrs {
		ids = append(ids, id)
	}
	return ids
}

func (s *server) get(id string) *ctr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctrs[id]
}

// forget drops a finished container.
func (s *server) forget(c *ctr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctrs[c.spec.ID] == c {
		delete(s.ctrs, c.spec.ID)
	}
	s.checkIdle()
}

// handleWait blocks until the current run of id ends. During a restart
// back-off there is no current run: the last exit is the answer, so a stop
// does not wait for the back-off.
func (s *server) handleWait(conn *net.UnixConn, id string) {
	c := s.get(id)
	if c == nil {
		s.reply(conn, response{})
		return
	}
	r, last := c.current()
	if r != nil {
		// A client that goes away ends the wait: watch the connection.
		gone := make(chan struct{})
		go func() { _, _ = conn.Read(make([]byte, 1)); close(gone) }()
		select {
		case <-r.done:
			last = r.exit
		case <-gone:
			return
		}
	}
	s.reply(conn, response{Held: true, Exit: &last})
}
