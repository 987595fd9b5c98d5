//go:build linux

package seccomp

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// SendToListener passes a seccomp user-notification fd (from LoadNotify) to
// the agent listening on the unix socket listenerPath, as the runtime-spec
// and runc do: one message holding the container process state as JSON and
// the fd in SCM_RIGHTS, named by state.Fds ("seccompFd").
func SendToListener(listenerPath string, fd *os.File, state specs.ContainerProcessState) error {
	if state.Version == "" {
		state.Version = specs.Version
	}
	state.Fds = []string{specs.SeccompFdName}
	msg, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("encoding seccomp listener state: %w", err)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: listenerPath, Net: "unix"})
	if err != nil {
		return fmt.Errorf("connecting to seccomp listener %s: %w", listenerPath, err)
	}
	defer conn.Close()
	n, oobn, err := conn.WriteMsgUnix(msg, unix.UnixRights(int(fd.Fd())), nil)
	if err != nil {
		return fmt.Errorf("sending seccomp fd to listener %s: %w", listenerPath, err)
	}
	if n != len(msg) || oobn == 0 {
		return fmt.Errorf("sending seccomp fd to listener %s: short write (%d of %d bytes)", listenerPath, n, len(msg))
	}
	return nil
}
