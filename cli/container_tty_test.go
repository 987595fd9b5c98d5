package cli

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/onggi/onggi/monitor"
	"golang.org/x/term"
)

func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave
}

// TestWatchResize: the first size is sent at once, a SIGWINCH sends the
// new one, and nothing is sent after stop.
func TestWatchResize(t *testing.T) {
	_, slave := openPTY(t)
	if err := pty.Setsize(slave, &pty.Winsize{Rows: 24, Cols: 80}); err != nil {
		t.Fatal(err)
	}
	sizes := make(chan monitor.Size, 16)
	stop := watchResize(slave, func(sz monitor.Size) error { sizes <- sz; return nil })
	next := func() monitor.Size {
		select {
		case sz := <-sizes:
			return sz
		case <-time.After(10 * time.Second): // a hang guard, not a synchronisation
			t.Fatal("no size sent")
			return monitor.Size{}
		}
	}
	if sz := next(); sz != (monitor.Size{Width: 80, Height: 24}) {
		t.Fatalf("initial size %+v", sz)
	}
	if err := pty.Setsize(slave, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	for sz := next(); sz != (monitor.Size{Width: 120, Height: 40}); sz = next() {
	}
	stop()
	select {
	case sz := <-sizes:
		t.Fatalf("size %+v sent after stop", sz)
	default:
	}
	// Not a terminal: no watcher, stop is a no-op.
	watchResize(&bytes.Buffer{}, func(monitor.Size) error { t.Error("resize on a non-terminal"); return nil })()
}

func TestRawTerminal(t *testing.T) {
	_, slave := openPTY(t)
	before, err := term.GetState(int(slave.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	restore, err := rawTerminal(slave)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := term.GetState(int(slave.Fd()))
	if *raw == *before {
		t.Fatal("terminal not put in raw mode")
	}
	restore()
	after, _ := term.GetState(int(slave.Fd()))
	if *after != *before {
		t.Fatal("terminal state not restored")
	}
	if restore, err := rawTerminal(strings.NewReader("")); err != nil || restore == nil {
		t.Fatalf("non-terminal: %v", err)
	}
}

func TestCheckTTY(t *testing.T) {
	_, slave := openPTY(t)
	if err := checkTTY(strings.NewReader(""), true, true); !errors.Is(err, errNotATTY) {
		t.Fatalf("pipe with -it: %v", err)
	}
	if err := checkTTY(slave, true, true); err != nil {
		t.Fatalf("pty with -it: %v", err)
	}
	if err := checkTTY(strings.NewReader(""), true, false); err != nil {
		t.Fatalf("pipe with -i: %v", err)
	}
}
