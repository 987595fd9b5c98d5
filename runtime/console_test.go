package runtime

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// receiveMaster accepts one connection on ln and returns the fd sent with
// SCM_RIGHTS, as containerd's shim and `runc --console-socket` users do.
func receiveMaster(t *testing.T, ln *net.UnixListener) *os.File {
	t.Helper()
	conn, err := ln.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages %v %v", msgs, err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("rights %v %v", fds, err)
	}
	return os.NewFile(uintptr(fds[0]), "pty-master")
}

func TestTerminal(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	sock := filepath.Join(t.TempDir(), "console.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	bundle := testbundle.Bundle(t, func(s *specs.Spec) {
		s.Process.Terminal = true
		s.Process.ConsoleSize = &specs.Box{Height: 33, Width: 111}
	}, "sh", "-c", "tty; stty size; test -t 0 && echo stdin-is-tty")
	got := make(chan *os.File, 1)
	go func() { got <- receiveMaster(t, ln) }()
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: bundle, ConsoleSocket: sock})
	if err != nil {
		t.Fatal(err)
	}
	var master *os.File
	select {
	case master = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no pty master received")
	}
	defer master.Close()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&out, master); close(done) }()
	if code, err := c.Wait(); err != nil || code != 0 {
		t.Fatalf("wait: %d %v", code, err)
	}
	<-done
	want := "/dev/pts/0\r\n33 111\r\nstdin-is-tty\r\n"
	if out.String() != want {
		t.Fatalf("terminal output %q, want %q", out.String(), want)
	}
}

// TestExecTerminal runs an exec'd process on a pty whose master comes over
// the console socket, as `runc exec -t --console-socket` does.
func TestExecTerminal(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: testbundle.Bundle(t, nil, "sleep", "1000")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "console.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan *os.File, 1)
	go func() { got <- receiveMaster(t, ln) }()
	p := testbundle.Spec().Process
	p.Terminal, p.Args = true, []string{"sh", "-c", "test -t 1 && echo exec-tty"}
	proc, err := c.Exec(p, ExecOpts{ConsoleSocket: sock})
	if err != nil {
		t.Fatal(err)
	}
	master := <-got
	defer master.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&out, master); close(done) }()
	if ps, err := proc.Wait(); err != nil || ps.ExitCode() != 0 {
		t.Fatalf("exec: %v %v", ps, err)
	}
	<-done
	if out.String() != "exec-tty\r\n" {
		t.Fatalf("output %q", out.String())
	}
}
