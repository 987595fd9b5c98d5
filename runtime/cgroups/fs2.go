//go:build linux

package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fs2Manager is one directory of the cgroup2 hierarchy.
type fs2Manager struct {
	cfg *config
	dir string
}

var (
	_ Manager        = (*fs2Manager)(nil)
	_ FreezeReporter = (*fs2Manager)(nil)
)

func newFS2(c *config, p string, relative bool) (*fs2Manager, error) {
	if relative {
		own, err := c.ownCgroups()
		if err != nil {
			return nil, err
		}
		p = filepath.Join(ownOrRoot(own, ""), p)
	}
	return &fs2Manager{cfg: c, dir: filepath.Join(c.root, p)}, nil
}

func (m *fs2Manager) Paths() map[string]string { return map[string]string{"": m.dir} }

func (m *fs2Manager) Apply(pid int) (retErr error) {
	made, err := ensureV2(m.cfg.root, m.dir)
	defer func() {
		if retErr != nil {
			removeCreated(made)
		}
	}()
	if err != nil {
		return err
	}
	return movePid([]string{m.dir}, pid)
}

// ensureV2 creates dir unless it exists: exec joins an existing cgroup,
// whose ancestors' controllers were enabled at create.
func ensureV2(root, dir string) ([]string, error) {
	if _, err := os.Stat(dir); err == nil {
		return nil, nil
	}
	return mkdirV2(root, dir)
}

// mkdirV2 creates dir below the cgroup2 mount at root, enabling in each
// ancestor's cgroup.subtree_control every controller the ancestor has, so
// that the new cgroup can use them (v2 only offers a child the controllers
// its parent enabled).
func mkdirV2(root, dir string) ([]string, error) {
	rel, err := filepath.Rel(root, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("cgroup %s is not below %s: %w", dir, root, ErrInvalid)
	}
	var made []string
	cur := root
	for _, comp := range strings.Split(rel, string(filepath.Separator)) {
		if comp == "." || comp == "" {
			continue
		}
		if err := enableControllers(cur); err != nil {
			return made, err
		}
		cur = filepath.Join(cur, comp)
		if err := os.Mkdir(cur, 0o755); err == nil {
			made = append(made, cur)
		} else if !os.IsExist(err) {
			return made, fmt.Errorf("creating cgroup: %w", err)
		}
	}
	return made, nil
}

// enableControllers turns on in dir's subtree_control every controller of
// dir's cgroup.controllers that is not on yet. All at once first; if the
// kernel refuses (e.g. cpu while a realtime task is in the cgroup), one by
// one, and those that still fail stay off: Set then reports them as not
// available when a limit needs them.
func enableControllers(dir string) error {
	avail, err := readFile(dir, "cgroup.controllers")
	if err != nil {
		return err
	}
	on, err := readFile(dir, "cgroup.subtree_control")
	if err != nil {
		return err
	}
	enabled := map[string]bool{}
	for _, c := range strings.Fields(on) {
		enabled[c] = true
	}
	var req []string
	for _, c := range strings.Fields(avail) {
		if !enabled[c] {
			req = append(req, "+"+c)
		}
	}
	if len(req) == 0 {
		return nil
	}
	if writeFile(dir, "cgroup.subtree_control", strings.Join(req, " ")) == nil {
		return nil
	}
	for _, r := range req {
		_ = writeFile(dir, "cgroup.subtree_control", r)
	}
	return nil
}

// controllers returns the set in dir's cgroup.controllers.
func controllers(dir string) (map[string]bool, error) {
	s, err := readFile(dir, "cgroup.controllers")
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, c := range strings.Fields(s) {
		set[c] = true
	}
	return set, nil
}

// v2Controller is what Set does for one cgroup2 controller.
type v2Controller struct {
	name string
	want func(r *specs.LinuxResources) bool
	set  func(dir string, r *specs.LinuxResources) error
}

var v2Order = []v2Controller{
	{"cpuset", wantCpuset, setCpusetV2},
	{"memory", wantMemory, setMemoryV2},
	{"cpu", wantCPU, setCPUV2},
	{"pids", wantPids, setPidsV2},
	{"io", wantBlkio, setIOV2},
	{"hugetlb", wantHugetlb, setHugetlbV2},
	{"rdma", wantRdma, setRdma},
}

func (m *fs2Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	avail, err := controllers(m.dir)
	if err != nil {
		return fmt.Errorf("setting cgroup limits: %w", err)
	}
	for _, c := range v2Order {
		if !c.want(r) {
			continue
		}
		if !avail[c.name] {
			return fmt.Errorf("setting %s limits: controller %q is not enabled for %s: %w", c.name, c.name, m.dir, ErrNotAvailable)
		}
		if err := c.set(m.dir, r); err != nil {
			return err
		}
	}
	if wantNetCls(r) || wantNetPrio(r) {
		// cgroup2 has no net_cls/net_prio; classify with eBPF or nftables'
		// "socket cgroupv2" instead.
		return fmt.Errorf("network classID/priorities need cgroup v1 net_cls/net_prio: %w", ErrNotAvailable)
	}
	if wantDevices(r) {
		if err := setDevicesV2(m.dir, r); err != nil {
			return err
		}
	}
	if len(r.Unified) > 0 {
		return setUnified(m.dir, r.Unified)
	}
	return nil
}

func (m *fs2Manager) Pids() ([]int, error) { return readPidsRecursive(m.dir) }

func (m *fs2Manager) Destroy() error { return removeCgroup(m.dir) }

func (m *fs2Manager) Stats() (*Stats, error) {
	s := &Stats{Hugetlb: map[string]Hugetlb{}}
	if err := cpuStatsV2(m.dir, s); err != nil {
		return nil, fmt.Errorf("cpu stats: %w", err)
	}
	avail, err := controllers(m.dir)
	if err != nil {
		return nil, err
	}
	steps := []struct {
		ctrl string
		read func(string, *Stats) error
	}{
		{"cpuset", cpusetStats},
		{"memory", memoryStatsV2},
		{"pids", pidsStats},
		{"io", ioStatsV2},
		{"hugetlb", hugetlbStatsV2},
	}
	for _, st := range steps {
		if avail[st.ctrl] {
			if err := st.read(m.dir, s); err != nil {
				return nil, fmt.Errorf("%s stats: %w", st.ctrl, err)
			}
		}
	}
	return s, nil
}
