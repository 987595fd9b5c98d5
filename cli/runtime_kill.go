package cli

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newRuntimeKillCmd(rg *runtimeGlobals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "kill [flags] <container-id> [signal]",
		Short: "kill sends the specified signal (default: SIGTERM) to the container's init process",
		Args:  argRange(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			sig := syscall.SIGTERM
			if len(args) == 2 {
				var err error
				if sig, err = parseSignal(args[1]); err != nil {
					return err
				}
			}
			c, err := rg.load(args)
			if err != nil {
				return err
			}
			return c.Signal(sig, all)
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "send the specified signal to all processes inside the container")
	return cmd
}

// parseSignal reads a signal as runc does: a number, or a name with or
// without the SIG prefix in any case, and also SIGRTMIN+n / SIGRTMAX-n
// (systemd's SIGRTMIN+3 stops a system container).
func parseSignal(raw string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(raw); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("unknown signal %q", raw)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(raw)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	if sig, ok := parseRealtime(name); ok {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", raw)
}

// parseRealtime reads SIGRTMIN, SIGRTMIN+n, SIGRTMAX and SIGRTMAX-n with
// glibc's values (34..64: glibc keeps 32 and 33 for itself).
func parseRealtime(name string) (syscall.Signal, bool) {
	const rtmin, rtmax = 34, 64
	base, rest, sign := 0, "", 1
	switch {
	case strings.HasPrefix(name, "SIGRTMIN"):
		base, rest = rtmin, strings.TrimPrefix(name, "SIGRTMIN")
	case strings.HasPrefix(name, "SIGRTMAX"):
		base, rest, sign = rtmax, strings.TrimPrefix(name, "SIGRTMAX"), -1
	default:
		return 0, false
	}
	n := 0
	if rest != "" {
		want := "+"
		if sign < 0 {
			want = "-"
		}
		v, err := strconv.Atoi(strings.TrimPrefix(rest, want))
		if err != nil || !strings.HasPrefix(rest, want) || v < 0 {
			return 0, false
		}
		n = v
	}
	sig := base + sign*n
	if sig < rtmin || sig > rtmax {
		return 0, false
	}
	return syscall.Signal(sig), true
}
