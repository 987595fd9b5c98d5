package driver

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// receiveMaster accepts one connection on ln and returns the pty master
// sent with SCM_RIGHTS (runc's console socket protocol).
func receiveMaster(ln *net.UnixListener) (*os.File, error) {
	conn, err := ln.AcceptUnix()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
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

func TestTerminal(t *testing.T) {
	drivers(t, func(t *testing.T, d Driver) {
		sock := filepath.Join(t.TempDir(), "console.sock")
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		got := make(chan *os.File, 1)
		go func() {
			m, err := receiveMaster(ln)
			if err != nil {
				t.Error(err)
			}
			got <- m
		}()
		id := uniqueID(t)
		bundle := testbundle.Bundle(t, func(s *specs.Spec) { s.Process.Terminal = true }, "sh", "-c", "test -t 0 && echo tty")
		p, err := d.Create(id, bundle, IO{ConsoleSocket: sock})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Delete(id, true)
		master := <-got
		if master == nil {
			t.Fatal("no pty master")
		}
		defer master.Close()
		if err := d.Start(id); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		done := make(chan struct{})
		go func() { _, _ = io.Copy(&out, master); close(done) }()
		if code, err := p.Wait(); err != nil || code != 0 {
			t.Fatalf("wait: %d, %v", code, err)
		}
		<-done
		if out.String() != "tty\r\n" {
			t.Fatalf("output %q", out.String())
		}
	})
}
