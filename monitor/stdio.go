package monitor

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/onggi/onggi/runtime/driver"
	"golang.org/x/sys/unix"
)

// bufPool holds the copiers' buffers. A copier takes one only once its
// pipe is readable, so an idle container holds none.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// stdio makes a run's stdio: pipes whose read ends the monitor keeps, or a
// console socket that will receive the pty master. childEnds are closed
// once the driver has created the container.
func (c *ctr) stdio(r *run) (dio driver.IO, childEnds []*os.File, cs *consoleSock, retErr error) {
	if c.spec.Tty {
		cs, err := listenConsole(c.spec.Bundle)
		if err != nil {
			return dio, nil, nil, err
		}
		return driver.IO{ConsoleSocket: cs.path}, nil, cs, nil
	}
	defer func() {
		if retErr != nil {
			closeAll(childEnds)
			closeAll(r.outputs)
			closeAll([]*os.File{r.stdin})
		}
	}()
	for _, dst := range []**os.File{&dio.Stdout, &dio.Stderr} {
		rd, wr, err := os.Pipe()
		if err != nil {
			return dio, childEnds, nil, fmt.Errorf("making stdio pipes: %w", err)
		}
		*dst = wr
		childEnds = append(childEnds, wr)
		r.outputs = append(r.outputs, rd)
	}
	if c.spec.OpenStdin {
		rd, wr, err := os.Pipe()
		if err != nil {
			return dio, childEnds, nil, fmt.Errorf("making stdin pipe: %w", err)
		}
		dio.Stdin, r.stdin = rd, wr
		childEnds = append(childEnds, rd)
	}
	return dio, childEnds, nil, nil
}

// startCopiers starts one goroutine per output: into the json-file log and
// out to the attached sessions. A tty's output is all "stdout".
func (c *ctr) startCopiers(r *run) {
	names := []string{"stdout", "stderr"}
	for i, src := range r.outputs {
		var logw io.WriteCloser
		if c.log != nil {
			logw = c.log.Stream(names[i])
			r.streams = append(r.streams, logw)
		}
		r.copiers.Add(1)
		go c.copyOutput(r, src, frameStdout+byte(i), logw)
	}
}

// copyOutput copies src until EOF (a pty master reports EIO instead).
func (c *ctr) copyOutput(r *run, src *os.File, kind byte, logw io.Writer) {
	defer r.copiers.Done()
	rc, err := src.SyscallConn()
	if err != nil {
		return
	}
	logFailed := false
	for {
		if err := waitReadable(rc); err != nil {
			return
		}
		bp := bufPool.Get().(*[]byte)
		n, err := src.Read(*bp)
		if n > 0 {
			if logw != nil && !logFailed {
				if _, werr := logw.Write((*bp)[:n]); werr != nil {
					logFailed = true // one message, not one per line
					c.s.cfg.Logf("monitor: writing log of %s: %v", c.spec.ID, werr)
				}
			}
			c.broadcast(kind, (*bp)[:n])
		}
		bufPool.Put(bp)
		if err != nil {
			return
		}
	}
}

// waitReadable blocks in the runtime poller until fd has data or hit EOF,
// holding no buffer meanwhile.
func waitReadable(rc interface {
	Read(func(uintptr) bool) error
}) error {
	return rc.Read(func(fd uintptr) bool {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 0)
		return err != nil && err != unix.EINTR || n > 0
	})
}

// consoleSock receives a pty master over runc's console-socket protocol.
type consoleSock struct {
	path, tmp string
	ln        *net.UnixListener
}

// maxSockPath is sun_path's size less its NUL.
const maxSockPath = 107

// listenConsole listens in the bundle, or in a short temporary directory
// when the bundle's path is too long for a socket address.
func listenConsole(bundle string) (*consoleSock, error) {
	cs := &consoleSock{path: filepath.Join(bundle, "console.sock")}
	if len(cs.path) > maxSockPath {
		dir, err := os.MkdirTemp("", "onggi-cs")
		if err != nil {
			return nil, fmt.Errorf("console socket: %w", err)
		}
		cs.tmp, cs.path = dir, filepath.Join(dir, "c.sock")
	}
	os.Remove(cs.path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: cs.path, Net: "unix"})
	if err != nil {
		cs.close()
		return nil, fmt.Errorf("console socket: %w", err)
	}
	cs.ln = ln
	return cs, nil
}

// receive accepts the runtime's connection and returns the master it sent,
// non-blocking so the poller serves it and Close unblocks its readers.
func (cs *consoleSock) receive() (*os.File, error) {
	_ = cs.ln.SetDeadline(time.Now().Add(30 * time.Second))
	conn, err := cs.ln.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("receiving the pty master: %w", err)
	}
	defer conn.Close()
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("receiving the pty master: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receiving the pty master: bad control message (%v)", err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receiving the pty master: bad rights (%v)", err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		return nil, fmt.Errorf("receiving the pty master: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "pty-master"), nil
}

func (cs *consoleSock) close() {
	if cs.ln != nil {
		cs.ln.Close()
	}
	os.Remove(cs.path)
	if cs.tmp != "" {
		os.RemoveAll(cs.tmp)
	}
}

// waitExited blocks in the runtime poller until process pid has exited
// (its pidfd turns readable), so the Wait that follows does not hold an
// OS thread in waitid(2) for the whole life of every container. Any error
// falls back to the caller's blocking Wait.
func waitExited(pid int) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = waitReadable(rc)
}
