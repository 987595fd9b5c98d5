package engine

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/errdefs"
	"golang.org/x/sys/unix"
)

// topContainer runs the host's ps(1) and keeps the header and the rows of
// the container's processes (docker's daemon/top_unix.go approach: ps sees
// host pids, the cgroup says which are the container's).
func (e *Engine) topContainer(ctx context.Context, ref, psArgs string) (*ctypes.TopResponse, error) {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !c.Running() {
		return nil, fmt.Errorf("container %s is not running: %w", c.ID, errdefs.ErrConflict)
	}
	d, err := e.driverOf(c)
	if err != nil {
		return nil, err
	}
	pids, err := d.Processes(c.ID)
	if err != nil {
		return nil, fmt.Errorf("listing processes of %s: %w", c.ID, err)
	}
	if psArgs == "" {
		psArgs = "-ef"
	}
	args := strings.Fields(psArgs)
	if _, err := exec.LookPath("ps"); err != nil {
		return procTop(pids), nil
	}
	out, err := runPS(ctx, args, pids)
	if err != nil {
		return nil, err
	}
	return parsePS(out, pids)
}

// runPS runs ps limited to pids with -q when the ps accepts it (procps),
// else over all processes; either way parsePS filters by pid.
func runPS(ctx context.Context, args []string, pids []int) ([]byte, error) {
	if len(pids) > 0 {
		q := make([]string, len(pids))
		for i, p := range pids {
			q[i] = strconv.Itoa(p)
		}
		qargs := append(append([]string{}, args...), "-q", strings.Join(q, ","))
		if out, err := exec.CommandContext(ctx, "ps", qargs...).Output(); err == nil {
			return out, nil
		}
	}
	out, err := exec.CommandContext(ctx, "ps", args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return nil, fmt.Errorf("ps: %w: %s: %w", err, msg, errdefs.ErrInvalid)
	}
	return out, nil
}

// parsePS keeps the header and the rows whose PID column is in pids; the
// last column (the command) keeps its spaces.
func parsePS(out []byte, pids []int) (*ctypes.TopResponse, error) {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	titles := strings.Fields(lines[0])
	col := -1
	for i, t := range titles {
		if t == "PID" {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("couldn't find PID field in ps output: %w", errdefs.ErrInvalid)
	}
	want := map[int]bool{}
	for _, p := range pids {
		want[p] = true
	}
	r := &ctypes.TopResponse{Titles: titles, Processes: [][]string{}}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) <= col {
			continue
		}
		pid, err := strconv.Atoi(f[col])
		if err != nil || !want[pid] {
			continue
		}
		if len(f) > len(titles) {
			f = append(f[:len(titles)-1], strings.Join(f[len(titles)-1:], " "))
		}
		r.Processes = append(r.Processes, f)
	}
	return r, nil
}

// procTop is the fallback without ps: ps -ef's columns from /proc.
func procTop(pids []int) *ctypes.TopResponse {
	r := &ctypes.TopResponse{
		Titles:    []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"},
		Processes: [][]string{},
	}
	for _, pid := range pids {
		if row, ok := procRow(pid); ok {
			r.Processes = append(r.Processes, row)
		}
	}
	return r
}

func procRow(pid int) ([]string, bool) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return nil, false
	}
	// comm may hold spaces and parens: the fields after it follow the last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return nil, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return nil, false
	}
	var st unix.Stat_t
	_ = unix.Stat(dir, &st)
	ticks := uint64(100) // USER_HZ on every Linux ABI
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	sysT, _ := strconv.ParseUint(f[12], 10, 64)
	cpu := time.Duration((ut+sysT)/ticks) * time.Second
	cmd := procCmdline(dir, string(stat[strings.IndexByte(string(stat), '(')+1:i]))
	tty := "?"
	if n, _ := strconv.Atoi(f[4]); n != 0 {
		tty = fmt.Sprintf("%d,%d", unix.Major(uint64(n)), unix.Minor(uint64(n)))
	}
	return []string{
		strconv.Itoa(int(st.Uid)), strconv.Itoa(pid), f[1], "0",
		psStartTime(f[19], ticks), tty, fmtCPUTime(cpu), cmd,
	}, true
}

func procCmdline(dir, comm string) string {
	b, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil || len(b) == 0 {
		return "[" + comm + "]"
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// psStartTime turns field 22 (ticks since boot) into ps's HH:MM.
func psStartTime(field string, ticks uint64) string {
	start, _ := strconv.ParseUint(field, 10, 64)
	var info unix.Sysinfo_t
	if unix.Sysinfo(&info) != nil {
		return "?"
	}
	boot := time.Now().Add(-time.Duration(info.Uptime) * time.Second)
	return boot.Add(time.Duration(start/ticks) * time.Second).Format("15:04")
}

func fmtCPUTime(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}
