package cli

import (
	"errors"
	"os"
	"syscall"

	"github.com/onggi/onggi/runtime"
)

// Docker's exit statuses for a failed `run`/`exec`: the engine failed (125),
// the command was found but could not be invoked (126), or not found (127).
const (
	exitEngine       = 125
	exitCannotInvoke = 126
	exitNotFound     = 127
)

// ExitCode maps an error class to a process exit code, in one place
// (STYLE.md habit 4). An ExitError keeps the code it carries (a container's
// own status, or 1 for the runtime commands); an executable the init could
// not run is docker's 126 (permission denied, a directory) or 127 (not
// found); every other error, cobra's flag errors included, is 125.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if errors.Is(err, runtime.ErrNoExecutable) {
		// The runtime wraps the exec errno beside the class; EACCES and
		// EISDIR mean the file exists but cannot be executed.
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EISDIR) {
			return exitCannotInvoke
		}
		return exitNotFound
	}
	return exitEngine
}

// containerError gives an engine error its exit status (ExitCode) so
// cli.Execute prints it once and main exits with docker's code.
func containerError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: ExitCode(err), Err: err}
}
