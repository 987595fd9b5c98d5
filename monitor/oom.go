package monitor

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// oomCounter reads the kernel's count of OOM kills in a container's memory
// cgroup: "oom_kill" in memory.events (cgroup v2) or memory.oom_control
// (v1, kernel 4.13+). A run was OOM-killed when the count grew during it;
// this sees kills of any process in the container, as docker's OOM event
// does.
type oomCounter struct {
	file string // "" when the cgroup could not be found
	base uint64
}

// watchOOM finds pid's memory cgroup and notes the current count.
func watchOOM(pid int) oomCounter {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return oomCounter{}
	}
	o := oomCounter{file: oomFile(data)}
	o.base, _ = o.count()
	return o
}

// oomFile picks the v1 memory hierarchy if mounted (hybrid hosts have both
// lines), else the unified one.
func oomFile(procCgroup []byte) string {
	var unified string
	sc := bufio.NewScanner(bytes.NewReader(procCgroup))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, ctl := range strings.Split(parts[1], ",") {
			if ctl == "memory" {
				return filepath.Join("/sys/fs/cgroup/memory", parts[2], "memory.oom_control")
			}
		}
		if parts[0] == "0" && parts[1] == "" {
			unified = filepath.Join("/sys/fs/cgroup", parts[2], "memory.events")
		}
	}
	return unified
}

func (o oomCounter) count() (uint64, error) {
	data, err := os.ReadFile(o.file)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, nil
}

// killed reports whether the count grew since watchOOM.
func (o oomCounter) killed() bool {
	if o.file == "" {
		return false
	}
	n, err := o.count()
	return err == nil && n > o.base
}
