package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ttyProxy stands in for a console socket when a foreground run or exec has
// a terminal and the caller gave none (runc does the same): it listens on a
// private unix socket, receives the pty master the runtime sends, and
// copies between the master and its own stdio.
type ttyProxy struct {
	dir     string
	ln      *net.UnixListener
	master  *os.File
	outDone chan struct{}
	restore func()
}

// acceptTimeout bounds the wait for a runtime that never sends the master.
const acceptTimeout = 30 * time.Second

// outputDrain bounds the wait for the last output after the process exited:
// a daemonised grandchild may hold the pty open forever.
const outputDrain = 2 * time.Second

func newTTYProxy() (*ttyProxy, error) {
	dir, err := os.MkdirTemp("", "onggi-console-")
	if err != nil {
		return nil, fmt.Errorf("making console socket directory: %w", err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "console.sock"), Net: "unix"})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("listening on console socket: %w", err)
	}
	return &ttyProxy{dir: dir, ln: ln, outDone: make(chan struct{})}, nil
}

// proxyTTY returns a ttyProxy standing in for the console socket when the
// process wants a terminal and the caller gave no socket, and sets *socket
// to it. Nil when none is needed; detached, it is runc's refusal.
func proxyTTY(terminal, detach bool, socket *string) (*ttyProxy, error) {
	if !terminal || *socket != "" {
		return nil, nil
	}
	if detach {
		return nil, errDetachedTTY
	}
	t, err := newTTYProxy()
	if err != nil {
		return nil, err
	}
	*socket = t.path()
	return t, nil
}

func (t *ttyProxy) path() string { return filepath.Join(t.dir, "console.sock") }

// attach receives the master and starts copying. Called after the runtime
// has created the process, which has sent the master by then.
func (t *ttyProxy) attach(stdin io.Reader, stdout io.Writer) error {
	t.ln.SetDeadline(time.Now().Add(acceptTimeout))
	conn, err := t.ln.AcceptUnix()
	if err != nil {
		return fmt.Errorf("accepting on console socket: %w", err)
	}
	defer conn.Close()
	if t.master, err = recvFd(conn); err != nil {
		return err
	}
	if in, ok := stdin.(*os.File); ok {
		t.restore = makeRaw(in)
		resize(in, t.master)
	}
	go func() {
		io.Copy(t.master, stdin)
	}()
	go func() {
		io.Copy(stdout, t.master) // ends with EIO when the last slave fd closes
		close(t.outDone)
	}()
	return nil
}

// handleWinch copies the terminal size of stdin to the pty.
func (t *ttyProxy) handleWinch(sig os.Signal) bool {
	if sig != syscall.SIGWINCH {
		return false
	}
	if t != nil && t.master != nil {
		resize(os.Stdin, t.master)
	}
	return true
}

// close waits (boundedly) for the output to drain, restores the terminal
// and removes the socket.
func (t *ttyProxy) close() {
	if t == nil {
		return
	}
	if t.master != nil {
		select {
		case <-t.outDone:
		case <-time.After(outputDrain):
		}
		t.master.Close()
	}
	if t.restore != nil {
		t.restore()
	}
	t.ln.Close()
	os.RemoveAll(t.dir)
}

// recvFd reads one SCM_RIGHTS message carrying one fd (runc's console
// socket protocol; the data part is the pty's name).
func recvFd(conn *net.UnixConn) (*os.File, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("receiving pty master: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, fmt.Errorf("parsing pty master message: %w", err)
	}
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil || len(fds) == 0 {
			continue
		}
		for _, extra := range fds[1:] {
			unix.Close(extra)
		}
		return os.NewFile(uintptr(fds[0]), string(buf[:n])), nil
	}
	return nil, errors.New("receiving pty master: no file descriptor in message")
}

// makeRaw puts the terminal f in raw mode and returns the undo; a non-tty f
// is left alone.
func makeRaw(f *os.File) func() {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil
	}
	raw := *old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag &^= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil
	}
	return func() { unix.IoctlSetTermios(fd, unix.TCSETS, old) }
}

func resize(from, to *os.File) {
	ws, err := unix.IoctlGetWinsize(int(from.Fd()), unix.TIOCGWINSZ)
	if err == nil {
		unix.IoctlSetWinsize(int(to.Fd()), unix.TIOCSWINSZ, ws)
	}
}
