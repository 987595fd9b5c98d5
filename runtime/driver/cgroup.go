package driver

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/onggi/onggi/runtime/cgroups"
)

// processCgroup returns the cgroup pid is in, from /proc/<pid>/cgroup
// (paths seen from our cgroup namespace, so absolute on the host). The
// live process is the truth: each runtime has its own default for an
// empty linux.cgroupsPath.
func processCgroup(pid int) (cgroups.Manager, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mode, err := cgroups.DetectMode()
	if err != nil {
		return nil, err
	}
	hs, err := cgroups.V1Hierarchies()
	if err != nil {
		return nil, err
	}
	paths := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-id:controller-list:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			if mode == cgroups.Unified {
				paths[""] = filepath.Join("/sys/fs/cgroup", parts[2])
			} else if mode == cgroups.Hybrid {
				paths[""] = filepath.Join("/sys/fs/cgroup/unified", parts[2])
			}
			continue
		}
		addV1Paths(paths, hs, strings.Split(parts[1], ","), parts[2])
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading cgroups of %d: %w", pid, err)
	}
	if mode == cgroups.Unified {
		paths = map[string]string{"": paths[""]}
	}
	return cgroups.Load(paths)
}

// addV1Paths records the directory of a v1 cgroup for each controller of
// the hierarchy mounted with exactly those controllers.
func addV1Paths(paths map[string]string, hs []cgroups.Hierarchy, ctrls []string, p string) {
	for _, h := range hs {
		if strings.Join(h.Controllers, ",") != strings.Join(ctrls, ",") {
			continue
		}
		rel, err := filepath.Rel(h.Root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		for _, c := range ctrls {
			paths[c] = filepath.Join(h.Mountpoint, rel)
		}
	}
}
