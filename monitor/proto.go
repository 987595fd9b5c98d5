package monitor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/runtime"
)

// The wire protocol on monitor.sock: the client writes one JSON request
// line, the monitor answers one JSON response line; an attach session (start
// with attach, or attach) then carries frames both ways until the exit or
// detach frame. A frame is docker's stdcopy header, [kind 0 0 0 len(4, big
// endian)], followed by len bytes, so api/ can pass stdout/stderr frames of
// a non-tty session through to a docker client unchanged.
const (
	frameStdin    byte = 0 // client → monitor: container input
	frameStdout   byte = 1
	frameStderr   byte = 2
	frameExit     byte = 3 // JSON Exit; the last frame of a session
	frameDetached byte = 4 // the detach keys were read; the last frame
	frameStdinEOF byte = 5 // client → monitor: the client's input ended
	frameResize   byte = 6 // client → monitor: JSON Size
)

// maxFrame bounds a frame a peer may announce, so a corrupt stream cannot
// make the reader allocate without limit.
const maxFrame = 1 << 20

// Request ops.
const (
	opStart   = "start"
	opAttach  = "attach"
	opWait    = "wait"
	opRunning = "running"
)

// request is the first line a client sends.
type request struct {
	Op         string `json:"op"`
	Spec       *Spec  `json:"spec,omitempty"`
	ID         string `json:"id,omitempty"`
	Stdin      bool   `json:"stdin,omitempty"`
	Stdout     bool   `json:"stdout,omitempty"`
	Stderr     bool   `json:"stderr,omitempty"`
	DetachKeys []byte `json:"detachKeys,omitempty"`
}

// response is the monitor's answer line.
type response struct {
	Error string   `json:"error,omitempty"`
	Class string   `json:"class,omitempty"`
	Held  bool     `json:"held,omitempty"` // wait: the monitor held the id
	Exit  *Exit    `json:"exit,omitempty"` // wait
	IDs   []string `json:"ids,omitempty"`  // running
}

// classes maps the wire name of an error class to its sentinel, so
// errors.Is works on the client side of the socket.
var classes = []struct {
	name string
	err  error
}{
	{"notfound", errdefs.ErrNotFound},
	{"exists", errdefs.ErrExists},
	{"invalid", errdefs.ErrInvalid},
	{"inuse", errdefs.ErrInUse},
	{"conflict", errdefs.ErrConflict},
	{"notrunning", errdefs.ErrNotRunning},
	{"unavailable", errdefs.ErrUnavailable},
	{"noexec", runtime.ErrNoExecutable},
	{"permission", os.ErrPermission},
}

// noperm is a command found but not executable: it must keep both
// classes (the CLI's 126 needs ErrNoExecutable and os.ErrPermission).
const noperm = "noperm"

// errorResponse encodes err with its class.
func errorResponse(err error) response {
	r := response{Error: err.Error()}
	if errors.Is(err, runtime.ErrNoExecutable) && errors.Is(err, os.ErrPermission) {
		r.Class = noperm
		return r
	}
	for _, c := range classes {
		if errors.Is(err, c.err) {
			r.Class = c.name
			break
		}
	}
	return r
}

// remoteError is an error read from the socket: its text as the monitor
// printed it, its class for errors.Is.
type remoteError struct {
	msg     string
	classes []error
}

func (e *remoteError) Error() string   { return e.msg }
func (e *remoteError) Unwrap() []error { return e.classes }

// err rebuilds the error of a response (nil when it is none).
func (r response) err() error {
	if r.Error == "" {
		return nil
	}
	if r.Class == noperm {
		return &remoteError{msg: r.Error, classes: []error{runtime.ErrNoExecutable, os.ErrPermission}}
	}
	for _, c := range classes {
		if c.name == r.Class {
			return &remoteError{msg: r.Error, classes: []error{c.err}}
		}
	}
	return errors.New(r.Error)
}

// encodeFrame returns header and payload in one slice, so a frame is one
// write (frames of concurrent writers never interleave).
func encodeFrame(kind byte, p []byte) []byte {
	b := make([]byte, 8+len(p))
	b[0] = kind
	binary.BigEndian.PutUint32(b[4:], uint32(len(p)))
	copy(b[8:], p)
	return b
}

// readFrame reads one frame; buf is reused when it is large enough.
func readFrame(r io.Reader, buf []byte) (kind byte, p []byte, err error) {
	var h [8]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[4:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("reading frame: length %d over %d: %w", n, maxFrame, errdefs.ErrInvalid)
	}
	if int(n) > cap(buf) {
		buf = make([]byte, n)
	}
	p = buf[:n]
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, fmt.Errorf("reading frame: %w", io.ErrUnexpectedEOF)
	}
	return h[0], p, nil
}
