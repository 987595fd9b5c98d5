package integration

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// consoleReceiver is what a shim or conmon does with --console-socket: it
// listens on a unix socket and takes the pty master from an SCM_RIGHTS
// message.
type consoleReceiver struct {
	path   string
	master chan *os.File
	errs   chan error
}

func newConsoleReceiver(t *testing.T) *consoleReceiver {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	r := &consoleReceiver{path: path, master: make(chan *os.File, 1), errs: make(chan error, 1)}
	go func() {
		conn, err := ln.AcceptUnix()
		if err != nil {
			r.errs <- err
			return
		}
		defer conn.Close()
		f, err := receiveFd(conn)
		if err != nil {
			r.errs <- err
			return
		}
		r.master <- f
	}()
	return r
}

func receiveFd(conn *net.UnixConn) (*os.File, error) {
	buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, err
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, err
	}
	return os.NewFile(uintptr(fds[0]), "pty-master"), nil
}

func (r *consoleReceiver) get(t *testing.T) *os.File {
	t.Helper()
	select {
	case f := <-r.master:
		if f == nil {
			t.Fatal("console socket: no fd in the message")
		}
		t.Cleanup(func() { f.Close() })
		return f
	case err := <-r.errs:
		t.Fatalf("console socket: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("console socket: nothing received")
	}
	return nil
}

// readUntil reads f until the text read contains want.
func readUntil(t *testing.T, f *os.File, want string) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		var all []byte
		buf := make([]byte, 1024)
		for {
			n, err := f.Read(buf)
			all = append(all, buf[:n]...)
			if strings.Contains(string(all), want) || err != nil {
				got <- string(all)
				return
			}
		}
	}()
	select {
	case s := <-got:
		if !strings.Contains(s, want) {
			t.Fatalf("pty output %q lacks %q", s, want)
		}
		return s
	case <-time.After(20 * time.Second):
		t.Fatalf("pty output: %q never came", want)
	}
	return ""
}

func terminalBundle(t *testing.T, args ...string) string {
	return testbundle.Bundle(t, func(s *specs.Spec) { s.Process.Terminal = true }, args...)
}

func TestRuntimeConsoleSocket(t *testing.T) {
	testbundle.RequireRoot(t)
	c := newRuntimeCLI(t, "onggi-runc")
	recv := newConsoleReceiver(t)
	bundle := terminalBundle(t, "sh", "-c", "echo hello-tty; tty; sleep 1000")
	id := uniqueID("console")
	c.ok("create", "--bundle", bundle, "--console-socket", recv.path, id)
	master := recv.get(t)
	c.ok("start", id)
	out := readUntil(t, master, "/dev/pts/0")
	if !strings.Contains(out, "hello-tty\r\n") {
		t.Errorf("pty output %q", out)
	}

	// exec --tty with its own console socket.
	recv2 := newConsoleReceiver(t)
	c.ok("exec", "--tty", "--detach", "--console-socket", recv2.path, id, "sh", "-c", "echo exec-tty; sleep 1000")
	readUntil(t, recv2.get(t), "exec-tty")

	c.ok("kill", id, "KILL")
	c.waitStatus(id, "stopped")
	c.ok("delete", id)
}

func TestRuntimeCreateTerminalNeedsSocket(t *testing.T) {
	testbundle.RequireRoot(t)
	c := newRuntimeCLI(t, "onggi-runc")
	bundle := terminalBundle(t, "true")
	id := uniqueID("notty")
	r := c.run("create", "--bundle", bundle, id)
	if r.code != 1 || !strings.Contains(r.stderr, "cannot allocate tty if runc will detach without setting console socket") {
		t.Errorf("create with terminal, no console socket: %v", r)
	}
	if r := c.run("state", id); r.code != 1 {
		t.Errorf("refused create left a container: %v", r)
	}
}

// TestRuntimeRunTerminalProxy runs a terminal container in the foreground
// without a console socket: the CLI holds the pty and copies it to stdout.
func TestRuntimeRunTerminalProxy(t *testing.T) {
	testbundle.RequireRoot(t)
	c := newRuntimeCLI(t, "onggi-runc")
	bundle := terminalBundle(t, "sh", "-c", "tty; exit 6")
	r := c.run("run", "--bundle", bundle, uniqueID("proxy"))
	if r.code != 6 || !strings.Contains(r.stdout, "/dev/pts/0") {
		t.Errorf("run with a terminal: %v", r)
	}
}

// TestRuntimeExecTTYProxy: exec --tty without a console socket holds the
// pty itself and copies it to stdout.
func TestRuntimeExecTTYProxy(t *testing.T) {
	testbundle.RequireRoot(t)
	c := newRuntimeCLI(t, "onggi-runc")
	id, _ := startSleeper(t, c, "exectty")
	r := c.run("exec", "--tty", id, "sh", "-c", "tty; exit 2")
	if r.code != 2 || !strings.Contains(r.stdout, "/dev/pts/") {
		t.Errorf("exec --tty: %v", r)
	}
}
