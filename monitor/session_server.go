package monitor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/onggi/onggi/errdefs"
	"golang.org/x/sys/unix"
)

// Per-session flow control: a client whose queue of sessionQueue frames stays
// full for behindGrace, or that cannot take a frame within the deadline, is
// dropped rather than allowed to stall the container or the other clients.
// The grace keeps a client that is merely slow for a moment (a busy machine
// delays its reader) from being dropped: the container's output waits for
// it that long at most.
const (
	sessionQueue   = 64
	behindGrace    = 2 * time.Second
	writeDeadline  = 30 * time.Second
	defaultDetach1 = 0x10 // ctrl-p
	defaultDetach2 = 0x11 // ctrl-q
)

// srvSession is an attached client on the monitor's side.
type srvSession struct {
	conn                  net.Conn
	stdin, stdout, stderr bool
	keys                  []byte

	mu     sync.Mutex
	q      chan []byte
	closed bool
	final  []byte
	wdone  chan struct{}
	// Until the response line is written (live), frames wait in pending:
	// output of a container that starts before its start reply is not
	// lost, nor does it count against the queue.
	live    bool
	pending [][]byte
}

func newSrvSession(conn net.Conn, req *request) *srvSession {
	keys := req.DetachKeys
	if len(keys) == 0 {
		keys = []byte{defaultDetach1, defaultDetach2}
	}
	return &srvSession{conn: conn, stdin: req.Stdin, stdout: req.Stdout, stderr: req.Stderr,
		keys: keys, q: make(chan []byte, sessionQueue), wdone: make(chan struct{})}
}

// send queues a frame; false when the session is gone or fell behind.
func (s *srvSession) send(f []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if !s.live {
		s.pending = append(s.pending, f)
		return true
	}
	select {
	case s.q <- f:
		return true
	default:
	}
	// Full: wait for the writer (it drains q without s.mu, so holding the
	// lock cannot deadlock it), then give up on the client.
	t := time.NewTimer(behindGrace)
	defer t.Stop()
	select {
	case s.q <- f:
		return true
	case <-t.C:
		s.closed = true
		close(s.q)
		s.conn.Close() // the client sees a broken session, not a silent gap
		return false
	}
}

// end queues the session's last frame (nil: none) after what is queued.
func (s *srvSession) end(final []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed, s.final = true, final
	close(s.q)
}

// writeLoop writes queued frames, then the final one, then closes the
// connection (which also ends the reading side).
func (s *srvSession) writeLoop() {
	defer close(s.wdone)
	defer s.conn.Close()
	s.mu.Lock()
	pending := s.pending
	s.pending, s.live = nil, true
	s.mu.Unlock()
	for _, f := range pending {
		if !s.write(f) {
			s.end(nil)
			for range s.q {
			}
			return
		}
	}
	for f := range s.q {
		if !s.write(f) {
			for range s.q {
			}
			return
		}
	}
	s.mu.Lock()
	final := s.final
	s.mu.Unlock()
	if final != nil {
		s.write(final)
	}
}

func (s *srvSession) write(f []byte) bool {
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeDeadline))
	_, err := s.conn.Write(f)
	return err == nil
}

func (s *srvSession) wants(kind byte) bool {
	return kind == frameStdout && s.stdout || kind == frameStderr && s.stderr
}

func (c *ctr) addSession(s *srvSession) {
	c.mu.Lock()
	c.sessions[s] = struct{}{}
	c.mu.Unlock()
}

// dropSession detaches s without a final frame.
func (c *ctr) dropSession(s *srvSession) {
	c.mu.Lock()
	delete(c.sessions, s)
	c.mu.Unlock()
	s.end(nil)
}

// endSessions ends every session with final (nil: none).
func (c *ctr) endSessions(final []byte) {
	c.mu.Lock()
	ss := c.sessions
	c.sessions = map[*srvSession]struct{}{}
	c.mu.Unlock()
	for s := range ss {
		s.end(final)
	}
}

// broadcast sends output to the sessions that want it.
func (c *ctr) broadcast(kind byte, p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var f []byte
	for s := range c.sessions {
		if !s.wants(kind) {
			continue
		}
		if f == nil {
			f = encodeFrame(kind, p)
		}
		if !s.send(f) {
			delete(c.sessions, s)
		}
	}
}

// handleAttach attaches a connection to a running container.
func (s *server) handleAttach(conn *net.UnixConn, br io.Reader, req *request) {
	c := s.get(req.ID)
	if c == nil {
		s.reply(conn, errorResponse(fmt.Errorf("container %s is not running: %w", req.ID, errdefs.ErrNotRunning)))
		return
	}
	sess := newSrvSession(conn, req)
	c.mu.Lock()
	r := c.run
	if r != nil {
		c.sessions[sess] = struct{}{}
	}
	c.mu.Unlock()
	if r == nil && s.get(req.ID) != c {
		s.reply(conn, errorResponse(fmt.Errorf("container %s is not running: %w", req.ID, errdefs.ErrNotRunning)))
		return
	}
	if r == nil {
		s.reply(conn, errorResponse(fmt.Errorf("container %s is restarting, wait until the container is running: %w", req.ID, errdefs.ErrConflict)))
		return
	}
	if err := s.reply(conn, response{}); err != nil {
		c.dropSession(sess)
		return
	}
	sess.serve(c, br)
}

// serve runs the session: frames out in writeLoop, client frames in here.
func (s *srvSession) serve(c *ctr, br io.Reader) {
	go s.writeLoop()
	c.mu.Lock()
	r := c.run // stdin is this run's: a restart must not close the next one's
	c.mu.Unlock()
	defer func() {
		if s.stdin {
			c.stdinDone(r) // the client went: for StdinOnce its input ended
		}
		c.dropSession(s)
		<-s.wdone
	}()
	in := bufio.NewReaderSize(br, 4096)
	det := &detacher{keys: s.keys}
	buf := make([]byte, 0, 4096)
	for {
		kind, p, err := readFrame(in, buf)
		if err != nil {
			return
		}
		switch kind {
		case frameStdin:
			if !s.stdin {
				continue
			}
			out, detach := det.filter(p)
			c.writeStdin(r, out)
			if detach {
				c.stdinDone(r)
				c.mu.Lock()
				delete(c.sessions, s)
				c.mu.Unlock()
				s.end(encodeFrame(frameDetached, nil))
				return
			}
		case frameStdinEOF:
			if s.stdin {
				c.writeStdin(r, det.flush())
				c.stdinDone(r)
			}
		case frameResize:
			var sz Size
			if json.Unmarshal(p, &sz) == nil {
				c.resize(sz)
			}
		}
	}
}

// writeStdin passes input to run r if it is still the current one. A
// container that does not read blocks only this session.
func (c *ctr) writeStdin(r *run, p []byte) {
	if len(p) == 0 {
		return
	}
	c.mu.Lock()
	var w io.Writer
	if r != nil && c.run == r && r.stdin != nil {
		w = r.stdin
	}
	c.mu.Unlock()
	if w != nil {
		_, _ = w.Write(p)
	}
}

// stdinDone closes the container's input when the client's ended, for
// StdinOnce (docker run -i) without a tty, as docker does.
func (c *ctr) stdinDone(r *run) {
	if !c.spec.StdinOnce || c.spec.Tty {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r != nil && c.run == r && r.stdin != nil {
		r.stdin.Close()
	}
}

// resize sets the pty's window size; the kernel signals SIGWINCH.
func (c *ctr) resize(sz Size) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.run == nil || c.run.master == nil {
		return
	}
	rc, err := c.run.master.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: sz.Height, Col: sz.Width})
	})
}

// detacher finds the detach keys in a stdin stream. A partial match is held
// back until it completes or fails; a failed one is passed through.
type detacher struct {
	keys []byte
	n    int // keys[:n] matched and held back
}

// filter returns what to forward from p and whether the keys completed
// (bytes after them are dropped: the session ends).
func (d *detacher) filter(p []byte) ([]byte, bool) {
	out := make([]byte, 0, len(p)+len(d.keys))
	for _, b := range p {
		if b == d.keys[d.n] {
			d.n++
			if d.n == len(d.keys) {
				d.n = 0
				return out, true
			}
			continue
		}
		out = append(out, d.keys[:d.n]...)
		d.n = 0
		if b == d.keys[0] {
			d.n = 1
			if len(d.keys) == 1 {
				return out, true
			}
			continue
		}
		out = append(out, b)
	}
	return out, false
}

// flush returns a held-back partial match.
func (d *detacher) flush() []byte {
	p := append([]byte(nil), d.keys[:d.n]...)
	d.n = 0
	return p
}
