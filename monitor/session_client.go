package monitor

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/onggi/onggi/errdefs"
)

// sessionImpl is a Session's body (a client session; the indirection keeps
// monitor.go's API free of its fields).
type sessionImpl interface {
	resize(Size) error
	wait() (Result, error)
	close() error
}

// clientSession copies a.Stdin to stdin frames and frames to a.Stdout and
// a.Stderr. Reading starts at once, so the monitor's queue for this client
// drains even before Wait is called.
type clientSession struct {
	cn *conn
	a  *Attach

	wmu  sync.Mutex // frames from the stdin copier and Resize
	done chan struct{}
	res  Result
	err  error

	cmu    sync.Mutex
	closed bool
}

var _ sessionImpl = (*clientSession)(nil)

func newClientSession(cn *conn, a *Attach) *clientSession {
	s := &clientSession{cn: cn, a: a, done: make(chan struct{})}
	go s.readLoop()
	if a.Stdin != nil {
		// Not waited for: a Read of the caller's stdin cannot be
		// interrupted, so it may outlive the session (docker's too).
		go s.copyStdin()
	}
	return s
}

func (s *clientSession) send(kind byte, p []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.cn.c.Write(encodeFrame(kind, p))
	return err
}

func (s *clientSession) copyStdin() {
	buf := make([]byte, 32<<10)
	for {
		n, err := s.a.Stdin.Read(buf)
		if n > 0 {
			if s.send(frameStdin, buf[:n]) != nil {
				return
			}
		}
		if err != nil {
			_ = s.send(frameStdinEOF, nil)
			return
		}
	}
}

// readLoop reads frames until the exit or detach frame or a broken
// connection.
func (s *clientSession) readLoop() {
	defer close(s.done)
	defer s.cn.c.Close()
	var buf []byte
	for {
		kind, p, err := readFrame(s.cn.br, buf)
		if err != nil {
			s.cmu.Lock()
			closed := s.closed
			s.cmu.Unlock()
			if closed {
				s.res = Result{Detached: true}
				return
			}
			s.err = fmt.Errorf("attach session: connection to the monitor lost (the container may still run): %v: %w", err, errdefs.ErrUnavailable)
			return
		}
		buf = p[:0]
		switch kind {
		case frameStdout, frameStderr:
			w := s.a.Stdout
			if kind == frameStderr {
				w = s.a.Stderr
			}
			if w != nil {
				if _, err := w.Write(p); err != nil {
					s.err = fmt.Errorf("attach session: writing output: %w", err)
					return
				}
			}
		case frameExit:
			if err := json.Unmarshal(p, &s.res.Exit); err != nil {
				s.err = fmt.Errorf("attach session: bad exit frame: %w", err)
			}
			return
		case frameDetached:
			s.res = Result{Detached: true}
			return
		}
	}
}

func (s *clientSession) resize(sz Size) error {
	b, _ := json.Marshal(sz)
	if err := s.send(frameResize, b); err != nil {
		return fmt.Errorf("resizing: %v: %w", err, errdefs.ErrUnavailable)
	}
	return nil
}

func (s *clientSession) wait() (Result, error) {
	<-s.done
	return s.res, s.err
}

// close detaches: the monitor drops the session when the connection goes.
func (s *clientSession) close() error {
	s.cmu.Lock()
	s.closed = true
	s.cmu.Unlock()
	return s.cn.c.Close()
}
