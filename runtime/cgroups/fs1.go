//go:build linux

package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fs1Manager is a cgroup spread over the v1 hierarchies, plus the cgroup2
// directory on a hybrid host (key "" of paths).
type fs1Manager struct {
	cfg   *config
	paths map[string]string
	hier  map[string]Hierarchy // directory → its v1 hierarchy; nil from Load
}

var (
	_ Manager        = (*fs1Manager)(nil)
	_ FreezeReporter = (*fs1Manager)(nil)
)

// v1Controller is what Set does in one v1 hierarchy.
type v1Controller struct {
	name string
	want func(r *specs.LinuxResources) bool
	set  func(dir string, r *specs.LinuxResources) error
}

// v1Order is runc's order: cpuset first (a cgroup without cpus/mems cannot
// take tasks), devices before anything opens them, memory before cpu.
var v1Order = []v1Controller{
	{"cpuset", wantCpuset, setCpusetV1},
	{"devices", wantDevices, setDevicesV1},
	{"memory", wantMemory, setMemoryV1},
	{"cpu", wantCPU, setCPUV1},
	{"pids", wantPids, setPidsV1},
	{"blkio", wantBlkio, setBlkioV1},
	{"hugetlb", wantHugetlb, setHugetlbV1},
	{"net_cls", wantNetCls, setNetClsV1},
	{"net_prio", wantNetPrio, setNetPrioV1},
	{"rdma", wantRdma, setRdma},
}

func newFS1(c *config, p string, relative, hybrid bool) (*fs1Manager, error) {
	hs, err := c.v1Hierarchies()
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, fmt.Errorf("no cgroup v1 hierarchy mounted under %s: %w", c.root, ErrNotAvailable)
	}
	var own map[string]string
	if relative {
		if own, err = c.ownCgroups(); err != nil {
			return nil, err
		}
	}
	m := &fs1Manager{cfg: c, paths: map[string]string{}, hier: map[string]Hierarchy{}}
	for _, h := range hs {
		hp := p
		if relative {
			hp = path.Join(ownOrRoot(own, h.Controllers[0]), p)
		}
		dir, err := inHierarchy(h.Mountpoint, h.Root, hp)
		if err != nil {
			return nil, err
		}
		for _, ctrl := range h.Controllers {
			m.paths[ctrl] = dir
		}
		m.hier[dir] = h
	}
	if hybrid {
		hp := p
		if relative {
			hp = path.Join(ownOrRoot(own, ""), p)
		}
		m.paths[""] = filepath.Join(c.root, "unified", hp)
	}
	return m, nil
}

// ownOrRoot is the caller's cgroup in a hierarchy; "/" when
// /proc/self/cgroup does not list it (a hierarchy mounted after we started).
func ownOrRoot(own map[string]string, key string) string {
	if p, ok := own[key]; ok && p != "" {
		return p
	}
	return "/"
}

// dirs returns the distinct directories, sorted (co-mounted controllers
// share one).
func (m *fs1Manager) dirs() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range m.paths {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

func (m *fs1Manager) Paths() map[string]string {
	out := make(map[string]string, len(m.paths))
	for k, v := range m.paths {
		out[k] = v
	}
	return out
}

func (m *fs1Manager) Apply(pid int) (retErr error) {
	created, err := m.create()
	defer func() {
		if retErr != nil {
			removeCreated(created)
		}
	}()
	if err != nil {
		return err
	}
	return movePid(m.dirs(), pid)
}

// create makes every directory of the cgroup that is missing and returns
// those it made.
func (m *fs1Manager) create() ([]string, error) {
	var created []string
	for _, dir := range m.dirs() {
		var made []string
		var err error
		switch {
		case dir == m.paths[""]:
			made, err = ensureV2(filepath.Join(m.cfg.root, "unified"), dir)
		case dir == m.paths["cpuset"]:
			made, err = mkdirCpuset(dir)
		default:
			made, err = mkdirAll(dir)
		}
		created = append(created, made...)
		if err != nil {
			return created, err
		}
	}
	return created, nil
}

// movePid writes pid to cgroup.procs of each directory.
func movePid(dirs []string, pid int) error {
	for _, dir := range dirs {
		if err := writeFile(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("moving pid %d into cgroup: %w", pid, err)
		}
	}
	return nil
}

func (m *fs1Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	for _, c := range v1Order {
		if !c.want(r) {
			continue
		}
		dir, ok := m.paths[c.name]
		if !ok && c.name == "hugetlb" && m.paths[""] != "" {
			// Hybrid hosts (systemd's default) keep hugetlb on cgroup2.
			if err := setHugetlbV2(m.paths[""], r); err != nil {
				return err
			}
			continue
		}
		if !ok {
			return fmt.Errorf("setting %s limits: no %s hierarchy is mounted: %w", c.name, c.name, ErrNotAvailable)
		}
		if err := c.set(dir, r); err != nil {
			return err
		}
	}
	if len(r.Unified) > 0 {
		if m.paths[""] == "" {
			return fmt.Errorf("unified resources need cgroup v2, this host is cgroup v1 only: %w", ErrNotAvailable)
		}
		return setUnified(m.paths[""], r.Unified)
	}
	return nil
}

func (m *fs1Manager) Pids() ([]int, error) {
	for _, ctrl := range []string{"freezer", "pids", "memory", "devices", "cpu"} {
		if dir, ok := m.paths[ctrl]; ok {
			return readPidsRecursive(dir)
		}
	}
	for _, dir := range m.dirs() {
		return readPidsRecursive(dir)
	}
	return nil, fmt.Errorf("listing pids: no cgroup directory: %w", ErrNotAvailable)
}

func (m *fs1Manager) Destroy() error {
	var errs []error
	for _, dir := range m.dirs() {
		errs = append(errs, removeCgroup(dir))
	}
	return errors.Join(errs...)
}

// mkdirAll is os.MkdirAll that reports which directories it made, so a
// failed Apply removes only those. The cgroup itself is tried first: its
// parent usually exists.
func mkdirAll(dir string) ([]string, error) {
	err := os.Mkdir(dir, 0o755)
	switch {
	case err == nil:
		return []string{dir}, nil
	case errors.Is(err, os.ErrExist):
		return nil, nil
	case !errors.Is(err, os.ErrNotExist) || filepath.Dir(dir) == dir:
		return nil, fmt.Errorf("creating cgroup: %w", err)
	}
	made, err := mkdirAll(filepath.Dir(dir))
	if err != nil {
		return made, err
	}
	switch err := os.Mkdir(dir, 0o755); {
	case err == nil:
		made = append(made, dir)
	case !errors.Is(err, os.ErrExist):
		return made, fmt.Errorf("creating cgroup: %w", err)
	}
	return made, nil
}

func removeCreated(made []string) {
	for i := len(made) - 1; i >= 0; i-- {
		_ = os.Remove(made[i])
	}
}
