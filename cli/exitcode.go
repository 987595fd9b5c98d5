package cli

// ExitCode maps an error class to a process exit code, in one place
// (STYLE.md habit 4). Engine errors are 125 as in docker; runtime (runc-style)
// commands override this with 1.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	return 125
}
