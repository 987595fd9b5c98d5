package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/onggi/onggi/monitor"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// defaultDetachKeys is docker's ctrl-p,ctrl-q.
var defaultDetachKeys = []byte{0x10, 0x11}

// parseDetachKeys parses docker's --detach-keys syntax: a comma-separated
// list of single characters and ctrl-<x> where x is a letter or one of
// @ [ \ ] ^ _. An empty string is the default sequence.
func parseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return defaultDetachKeys, nil
	}
	var out []byte
	for _, key := range strings.Split(s, ",") {
		b, err := detachKey(key)
		if err != nil {
			return nil, fmt.Errorf("Invalid detach keys (%s) provided", s) //nolint:staticcheck // docker's wording
		}
		out = append(out, b)
	}
	return out, nil
}

func detachKey(key string) (byte, error) {
	if len(key) == 1 {
		return key[0], nil
	}
	lower := strings.ToLower(key)
	if len(lower) != len("ctrl-x") || !strings.HasPrefix(lower, "ctrl-") {
		return 0, fmt.Errorf("unknown character: '%s'", key)
	}
	c := lower[5]
	switch {
	case c >= 'a' && c <= 'z':
		return c - 'a' + 1, nil
	case c == '@':
		return 0, nil
	case c >= '[' && c <= '_':
		// [ \ ] ^ _ are 27..31, right after ctrl-z.
		return c - '[' + 27, nil
	}
	return 0, fmt.Errorf("unknown character: '%s'", key)
}

// fdOf returns the descriptor of a stream that is a terminal.
func fdOf(s any) (int, bool) {
	f, ok := s.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// errNotATTY is docker's refusal of -it with a non-terminal stdin.
var errNotATTY = errors.New("the input device is not a TTY")

// checkTTY refuses -i -t when stdin is not a terminal, as docker does.
func checkTTY(in io.Reader, attachStdin, tty bool) error {
	if !attachStdin || !tty {
		return nil
	}
	if _, ok := fdOf(in); !ok {
		return errNotATTY
	}
	return nil
}

// rawTerminal puts a terminal stdin into raw mode (keys go to the container's
// pty unprocessed, ctrl-c included) and returns the function restoring it.
func rawTerminal(in io.Reader) (restore func(), err error) {
	fd, ok := fdOf(in)
	if !ok {
		return func() {}, nil
	}
	st, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("setting the terminal to raw mode: %w", err)
	}
	return func() { _ = term.Restore(fd, st) }, nil
}

// terminalSize reads the size of a terminal output stream.
func terminalSize(out io.Writer) (monitor.Size, bool) {
	fd, ok := fdOf(out)
	if !ok {
		return monitor.Size{}, false
	}
	w, h, err := term.GetSize(fd)
	if err != nil || w <= 0 || h <= 0 {
		return monitor.Size{}, false
	}
	return monitor.Size{Width: uint16(w), Height: uint16(h)}, true
}

// watchResize sends out's current size to resize, then again on every
// SIGWINCH until the returned stop function is called. It does nothing when
// out is not a terminal.
func watchResize(out io.Writer, resize func(monitor.Size) error) (stop func()) {
	if _, ok := terminalSize(out); !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if sz, ok := terminalSize(out); ok {
				_ = resize(sz) // a closed session ends the loop below
			}
			select {
			case <-ctx.Done():
				return
			case <-winch:
			}
		}
	}()
	return func() {
		signal.Stop(winch)
		cancel()
		<-done
	}
}

// resizeChan adapts watchResize to exec's channel of sizes.
func resizeChan(out io.Writer) (<-chan monitor.Size, func()) {
	ch := make(chan monitor.Size, 1)
	stop := watchResize(out, func(sz monitor.Size) error {
		// Keep only the newest size: drop a stale one nobody read yet.
		select {
		case <-ch:
		default:
		}
		ch <- sz
		return nil
	})
	return ch, stop
}
