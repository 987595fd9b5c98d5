package runtime

import (
	"fmt"
	"net"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// dialConsoleSocket connects to the --console-socket the caller listens on;
// the connected fd goes to the init, which sends the pty master over it.
func dialConsoleSocket(path string) (*os.File, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: process.terminal is set but no console socket was given", ErrInvalid)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	defer conn.Close()
	f, err := conn.File()
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	return f, nil
}

// setupConsole opens a pty inside the container (its own devpts instance,
// so the master belongs to the container), sends the master over sock with
// SCM_RIGHTS as runc does (the payload is the pty's name), makes the slave
// the controlling terminal and stdio, and returns the slave's path.
func setupConsole(sock *os.File, size *specs.Box) (string, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("opening /dev/ptmx in the container: %w", err)
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return "", &os.SyscallError{Syscall: "ioctl(TIOCSPTLCK)", Err: err}
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		return "", &os.SyscallError{Syscall: "ioctl(TIOCGPTN)", Err: err}
	}
	slavePath := "/dev/pts/" + strconv.Itoa(n)
	if size != nil && size.Width > 0 {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws); err != nil {
			return "", &os.SyscallError{Syscall: "ioctl(TIOCSWINSZ)", Err: err}
		}
	}
	rights := unix.UnixRights(int(master.Fd()))
	if err := unix.Sendmsg(int(sock.Fd()), []byte(master.Name()), rights, nil, 0); err != nil {
		return "", &os.SyscallError{Syscall: "sendmsg(console socket)", Err: err}
	}
	sock.Close()
	if _, err := unix.Setsid(); err != nil {
		return "", &os.SyscallError{Syscall: "setsid", Err: err}
	}
	slave, err := unix.Open(slavePath, unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return "", &os.PathError{Op: "open", Path: slavePath, Err: err}
	}
	if err := unix.IoctlSetInt(slave, unix.TIOCSCTTY, 0); err != nil {
		return "", &os.SyscallError{Syscall: "ioctl(TIOCSCTTY)", Err: err}
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return "", &os.SyscallError{Syscall: "dup3", Err: err}
		}
	}
	if slave > 2 {
		unix.Close(slave)
	}
	return slavePath, nil
}
