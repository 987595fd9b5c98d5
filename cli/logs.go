package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newLogsCmd)

type logsOptions struct {
	follow, timestamps, details bool
	since, until, tail          string
}

func newLogsCmd(g *Globals) *cobra.Command {
	o := &logsOptions{}
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runLogs(cmd, g, o, args[0]) },
	}
	f := cmd.Flags()
	f.BoolVarP(&o.follow, "follow", "f", false, "Follow log output")
	f.StringVar(&o.since, "since", "", `Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	f.StringVar(&o.until, "until", "", `Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	f.StringVarP(&o.tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	f.BoolVarP(&o.timestamps, "timestamps", "t", false, "Show timestamps")
	// json-file logs carry no extra attributes, so --details adds nothing.
	f.BoolVar(&o.details, "details", false, "Show extra details provided to logs")
	return cmd
}

func runLogs(cmd *cobra.Command, g *Globals, o *logsOptions, ref string) error {
	now := time.Now()
	lo := engine.LogsOptions{Follow: o.follow, Timestamps: o.timestamps, Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr()}
	var err error
	if lo.Since, err = parseLogTime(o.since, now); err != nil {
		return &ExitError{Code: 125, Err: fmt.Errorf("invalid value for \"since\": %w", err)}
	}
	if lo.Until, err = parseLogTime(o.until, now); err != nil {
		return &ExitError{Code: 125, Err: fmt.Errorf("invalid value for \"until\": %w", err)}
	}
	if lo.Tail, err = parseTail(o.tail); err != nil {
		return &ExitError{Code: 125, Err: err}
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	return e.ContainerLogs(cmd.Context(), ref, lo)
}

// parseTail reads -n: "all" (or any negative number) is every line.
func parseTail(s string) (int, error) {
	if s == "" || strings.EqualFold(s, "all") {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("invalid value for \"tail\": %q is not a number or \"all\"", s)
	}
	if n < 0 {
		return -1, nil
	}
	return n, nil
}

// logTimeLayouts are the forms docker's timetypes.GetTimestamp accepts;
// those without a zone are local time.
var logTimeLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02T15Z07:00",
	"2006-01-02Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04",
	"2006-01-02T15", "2006-01-02",
}

// parseLogTime reads --since/--until as docker does: a Go duration is
// relative to now ("10m" is ten minutes ago), a value with a "-" is a
// date/time, anything else Unix seconds with an optional fraction. ""
// is the zero time (no bound).
func parseLogTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if strings.Contains(s, "-") {
		for _, l := range logTimeLayouts {
			if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q", s)
	}
	sec, frac, _ := strings.Cut(s, ".")
	secs, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q", s)
	}
	var nsec int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q", s)
		}
		nsec = f * int64(math.Pow10(9-len(frac)))
	}
	return time.Unix(secs, nsec), nil
}
