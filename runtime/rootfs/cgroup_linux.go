package rootfs

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// hostCgroupRoot is where the host (our mount namespace before pivot) has
// its cgroup filesystems.
const hostCgroupRoot = "/sys/fs/cgroup"

// cgroupLine is one line of /proc/self/cgroup: "4:cpu,cpuacct:/path".
type cgroupLine struct {
	controllers string // "cpu,cpuacct", "name=systemd", "" for v2
	path        string
}

// mountCgroup mounts the container's view of the cgroup filesystems at dest.
// It is read-only unless the options explicitly say "rw": a writable v1
// cgroupfs is the release_agent escape (CVE-2022-0492).
func mountCgroup(r *root, spec *specs.Spec, m specs.Mount, dest string, o Options) error {
	if o.Cleared&unix.MS_RDONLY == 0 {
		o.Flags |= unix.MS_RDONLY
	}
	cgns := hasNamespace(spec, specs.CgroupNamespace)
	lines, err := readSelfCgroup()
	if err != nil {
		return err
	}
	if isCgroup2(hostCgroupRoot) {
		return mountUnified(r, dest, o, cgns, lines)
	}
	return mountCgroupV1(r, dest, o, cgns, lines)
}

// mountUnified mounts cgroup2 at dest: a fresh mount in a cgroup namespace
// (rooted at the container's cgroup), otherwise a bind of the container's
// own cgroup directory, so the host's tree is never shown.
func mountUnified(r *root, dest string, o Options, cgns bool, lines []cgroupLine) error {
	target, err := r.target(dest, true)
	if err != nil {
		return err
	}
	defer target.Close()
	return cgroup2At(target, dest, hostCgroupRoot, o, cgns, lines)
}

func cgroup2At(target *os.File, dest, hostMount string, o Options, cgns bool, lines []cgroupLine) error {
	if !cgns {
		src := filepath.Join(hostMount, ownPath(lines, ""))
		return asMountError(bindAt(src, target, o), src, dest, "bind", o)
	}
	mfd, err := newFS("cgroup2", "cgroup2", o)
	if err == nil {
		defer unix.Close(mfd)
		err = attachWithPropagation(mfd, target, o)
	}
	return asMountError(err, "cgroup2", dest, "cgroup2", o)
}

// mountCgroupV1 builds what runc builds on a v1 or hybrid host: a tmpfs at
// dest holding one directory per hierarchy of the init's /proc/self/cgroup
// (mounted afresh in a cgroup namespace, else bind-mounted from the host's
// own cgroup directory), a symlink per co-mounted controller
// (cpu -> cpu,cpuacct), and on a hybrid host the cgroup2 "unified" mount.
// The tmpfs turns read-only last, once its directories exist.
func mountCgroupV1(r *root, dest string, o Options, cgns bool, lines []cgroupLine) error {
	target, err := r.target(dest, true)
	if err != nil {
		return err
	}
	defer target.Close()
	tmpfsOpts := Options{Flags: o.Flags &^ unix.MS_RDONLY, Data: []string{"mode=755"}}
	tmpfs, err := newFS("tmpfs", "tmpfs", tmpfsOpts)
	if err != nil {
		return asMountError(err, "tmpfs", dest, "tmpfs", tmpfsOpts)
	}
	dir := os.NewFile(uintptr(tmpfs), dest)
	defer dir.Close()
	if err := attach(tmpfs, target); err != nil {
		return asMountError(err, "tmpfs", dest, "tmpfs", tmpfsOpts)
	}
	if err := cgroupHierarchies(dir, dest, o, cgns, lines); err != nil {
		return err
	}
	set, _ := o.mountAttr()
	err = setAttr(tmpfs, false, set&unix.MOUNT_ATTR_RDONLY, 0)
	if err == nil {
		err = applyPropagation(tmpfs, o)
	}
	return asMountError(err, "tmpfs", dest, "tmpfs", o)
}

func applyPropagation(fd int, o Options) error {
	for _, p := range o.Propagation {
		if err := setPropagation(fd, p); err != nil {
			return err
		}
	}
	return nil
}

// cgroupHierarchies mounts each hierarchy below the fresh tmpfs dir. dir is
// our own new tmpfs, so plain *at calls on it cannot be redirected.
func cgroupHierarchies(dir *os.File, dest string, o Options, cgns bool, lines []cgroupLine) error {
	hostMounts, err := threadMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return err
	}
	for _, l := range lines {
		if l.controllers == "" {
			continue
		}
		if err := cgroupV1Hierarchy(dir, dest, o, cgns, l, hostMounts); err != nil {
			return err
		}
	}
	unified := filepath.Join(hostCgroupRoot, "unified")
	if !isCgroup2(unified) {
		return nil
	}
	sub, err := subdir(dir, "unified")
	if err != nil {
		return err
	}
	defer sub.Close()
	return cgroup2At(sub, dest+"/unified", unified, o, cgns, lines)
}

func cgroupV1Hierarchy(dir *os.File, dest string, o Options, cgns bool, l cgroupLine, host []*mountinfo.Info) error {
	name := strings.TrimPrefix(l.controllers, "name=")
	sub, err := subdir(dir, name)
	if err != nil {
		return err
	}
	defer sub.Close()
	subDest := dest + "/" + name
	if cgns {
		co := o
		co.Data = strings.Split(l.controllers, ",")
		mfd, err := newFS("cgroup", "cgroup", co)
		if err == nil {
			defer unix.Close(mfd)
			err = attach(mfd, sub)
		}
		if err != nil {
			return asMountError(err, "cgroup", subDest, "cgroup", co)
		}
	} else {
		mi := hierarchyMount(host, l.controllers)
		if mi == nil {
			return nil // not mounted on the host: nothing to show
		}
		rel, _ := filepath.Rel(mi.Root, l.path)
		src := filepath.Join(mi.Mountpoint, rel)
		if err := asMountError(bindAt(src, sub, Options{Flags: o.Flags}), src, subDest, "bind", o); err != nil {
			return err
		}
	}
	return comountLinks(dir, name)
}

// comountLinks makes cpu -> cpu,cpuacct and cpuacct -> cpu,cpuacct.
func comountLinks(dir *os.File, name string) error {
	parts := strings.Split(name, ",")
	if len(parts) < 2 {
		return nil
	}
	for _, p := range parts {
		err := unix.Symlinkat(name, int(dir.Fd()), p)
		if err != nil && err != unix.EEXIST {
			return &os.PathError{Op: "symlink", Path: dir.Name() + "/" + p, Err: err}
		}
	}
	return nil
}

// subdir makes directory name in dir and opens it O_PATH.
func subdir(dir *os.File, name string) (*os.File, error) {
	err := unix.Mkdirat(int(dir.Fd()), name, 0o755)
	if err != nil && err != unix.EEXIST {
		return nil, &os.PathError{Op: "mkdir", Path: dir.Name() + "/" + name, Err: err}
	}
	return openAtNoFollow(dir, name, dir.Name()+"/"+name)
}

// hierarchyMount finds the host mount of the v1 hierarchy holding exactly
// the controllers ("cpu,cpuacct" or "name=systemd").
func hierarchyMount(host []*mountinfo.Info, controllers string) *mountinfo.Info {
	want := strings.Split(controllers, ",")
	for _, m := range host {
		if m.FSType != "cgroup" {
			continue
		}
		opts := strings.Split(m.VFSOptions, ",")
		if allIn(want, opts) {
			return m
		}
	}
	return nil
}

func allIn(want, have []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// ownPath is the init's cgroup path in the hierarchy of controllers ("" is v2).
func ownPath(lines []cgroupLine, controllers string) string {
	for _, l := range lines {
		if l.controllers == controllers {
			return l.path
		}
	}
	return "/"
}

func readSelfCgroup() ([]cgroupLine, error) {
	f, err := os.Open("/proc/thread-self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []cgroupLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 {
			lines = append(lines, cgroupLine{controllers: parts[1], path: parts[2]})
		}
	}
	return lines, sc.Err()
}

func isCgroup2(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

func hasNamespace(spec *specs.Spec, t specs.LinuxNamespaceType) bool {
	if spec.Linux == nil {
		return false
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}
