//go:build linux

package cgroups

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// v1Controllers are the controller names that can appear among a cgroup v1
// mount's super options; anything else there is a mount option.
var v1Controllers = map[string]bool{
	"cpu": true, "cpuacct": true, "cpuset": true, "memory": true, "devices": true,
	"freezer": true, "blkio": true, "pids": true, "net_cls": true, "net_prio": true,
	"hugetlb": true, "perf_event": true, "rdma": true, "misc": true,
}

// Hierarchy is one mounted cgroup v1 hierarchy. The runtime needs these to
// mount a container's /sys/fs/cgroup on v1 and hybrid hosts.
type Hierarchy struct {
	Controllers []string // e.g. ["cpu" "cpuacct"], or ["name=systemd"]
	Mountpoint  string   // e.g. /sys/fs/cgroup/cpu,cpuacct
	Root        string   // cgroup at the mount point: "/" outside a cgroup namespace
}

// V1Hierarchies lists the cgroup v1 hierarchies mounted directly under the
// mount root, read from /proc/self/mountinfo. Empty on a pure v2 host.
func V1Hierarchies(opts ...Option) ([]Hierarchy, error) {
	return newConfig(opts).v1Hierarchies()
}

// v1Hierarchies reads mountinfo for the cgroup (v1) mounts under c.root.
func (c *config) v1Hierarchies() ([]Hierarchy, error) {
	f, err := os.Open(c.mountinfo)
	if err != nil {
		return nil, fmt.Errorf("reading mount table: %w", err)
	}
	defer f.Close()
	var hs []Hierarchy
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent maj:min root mountpoint opts [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 || qf[0] != "cgroup" {
			continue
		}
		mp := unescapeMountinfo(pf[4])
		if filepath.Dir(mp) != filepath.Clean(c.root) {
			continue
		}
		var ctrls []string
		for _, o := range strings.Split(qf[2], ",") {
			if v1Controllers[o] || strings.HasPrefix(o, "name=") {
				ctrls = append(ctrls, o)
			}
		}
		if len(ctrls) > 0 {
			hs = append(hs, Hierarchy{Controllers: ctrls, Mountpoint: mp, Root: unescapeMountinfo(pf[3])})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", c.mountinfo, err)
	}
	return hs, nil
}

// unescapeMountinfo undoes the octal escapes (\040 for space) of mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, d := range s[i+1 : i+4] {
				if d < '0' || d > '7' {
					ok = false
					break
				}
				v = v*8 + byte(d-'0')
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ownCgroups parses /proc/self/cgroup: controller (or "name=x", or "" for
// the v2 hierarchy) → cgroup path of the calling process.
func (c *config) ownCgroups() (map[string]string, error) { return parseCgroupFile(c.selfCgroup) }

// parseCgroupFile parses a /proc/<pid>/cgroup file (see ownCgroups).
func parseCgroupFile(name string) (map[string]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("reading own cgroup: %w", err)
	}
	defer f.Close()
	own := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			own[""] = parts[2]
			continue
		}
		for _, ctrl := range strings.Split(parts[1], ",") {
			own[ctrl] = parts[2]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return own, nil
}

// cgroupPath turns an OCI cgroupsPath into a path inside a hierarchy,
// plus whether it is relative to the caller's own cgroup.
//
// Like runc with cgroupfs: absolute paths are from the hierarchy root,
// relative ones from the caller's cgroup, and an empty path gets a default
// holding the id. With systemd syntax the result is always absolute.
func (c *config) cgroupPath(cgroupsPath, id string) (p string, relative bool, err error) {
	if c.systemd {
		if cgroupsPath == "" {
			cgroupsPath = ":onggi:" + id
		}
		p, err := systemdPath(cgroupsPath)
		return p, false, err
	}
	if cgroupsPath == "" {
		if id == "" {
			return "", false, fmt.Errorf("empty cgroupsPath and container id: %w", ErrInvalid)
		}
		return path.Join("/onggi", id), false, nil
	}
	if strings.Contains(cgroupsPath, ":") && !strings.HasPrefix(cgroupsPath, "/") {
		return "", false, fmt.Errorf("cgroupsPath %q looks like systemd syntax but systemd cgroups are off: %w", cgroupsPath, ErrInvalid)
	}
	clean := path.Clean("/" + cgroupsPath)
	if !path.IsAbs(cgroupsPath) {
		// A relative path may not climb out of the caller's cgroup.
		return strings.TrimPrefix(clean, "/"), true, nil
	}
	return clean, false, nil
}

// inHierarchy returns the directory for hierarchy path p in a hierarchy
// mounted at mountpoint whose mount shows cgroup mountRoot there.
func inHierarchy(mountpoint, mountRoot, p string) (string, error) {
	rel, err := filepath.Rel(mountRoot, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("cgroup %s is outside the hierarchy mounted at %s (root %s): %w", p, mountpoint, mountRoot, ErrInvalid)
	}
	return filepath.Join(mountpoint, rel), nil
}
