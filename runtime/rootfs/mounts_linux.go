package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Prepare runs in the container's new mount namespace, before PivotRoot.
// rootfs is the absolute host path of spec.Root.Path; relative bind sources
// are resolved from the current directory (the bundle, as runc's init).
// The init must already be in its cgroup (and cgroup namespace) so that
// cgroup mounts show the container's own cgroups.
//
// There is no undo on failure: everything happens in the container's private
// mount namespace, which dies with the failed init.
func Prepare(spec *specs.Spec, rootfs string) error {
	rootfs, err := filepath.EvalSymlinks(rootfs) // mountinfo lists real paths
	if err != nil {
		return fieldErr("root.path", err)
	}
	if err := setRootPropagation(spec); err != nil {
		return err
	}
	r, err := bindRootfs(rootfs)
	if err != nil {
		return err
	}
	defer r.Close()
	for i, m := range spec.Mounts {
		if err := mountEntry(r, spec, m); err != nil {
			return fieldErr(fmt.Sprintf("mounts[%d]", i), err)
		}
	}
	if !needsDev(spec) {
		return nil
	}
	return populateDev(r, spec)
}

// setRootPropagation applies linux.rootfsPropagation to "/", or makes the
// whole tree rslave (runc's default) so no container mount propagates back
// to the host while host mounts still reach the container.
func setRootPropagation(spec *specs.Spec) error {
	flag := uintptr(unix.MS_SLAVE | unix.MS_REC)
	if spec.Linux != nil && spec.Linux.RootfsPropagation != "" {
		p, err := ParsePropagation(spec.Linux.RootfsPropagation)
		if err != nil {
			return fieldErr("linux.rootfsPropagation", err)
		}
		flag = p
	}
	return mountPath("", "/", "", flag, "")
}

// bindRootfs bind-mounts rootfs onto itself (pivot_root needs a mount point)
// after making its parent mount private (pivot_root refuses a shared parent,
// and the bind must not propagate to the host), then opens the new mount.
func bindRootfs(rootfs string) (*root, error) {
	if err := parentMountPrivate(rootfs); err != nil {
		return nil, err
	}
	tree, err := cloneTree(unix.AT_FDCWD, rootfs, true)
	if err != nil {
		return nil, asMountError(err, rootfs, rootfs, "bind", Options{Flags: unix.MS_BIND | unix.MS_REC})
	}
	defer unix.Close(tree)
	err = unix.MoveMount(tree, "", unix.AT_FDCWD, rootfs, unix.MOVE_MOUNT_F_EMPTY_PATH)
	if err != nil {
		return nil, &MountError{Source: rootfs, Target: rootfs, FSType: "bind", Flags: unix.MS_BIND | unix.MS_REC, Step: "move_mount", Err: err}
	}
	return openRoot(rootfs)
}

// parentMountPrivate makes the mount holding path private if it is shared
// (pivot_root and MS_MOVE refuse a shared parent) or unbindable (it could
// not be cloned; rootfsPropagation "unbindable" is applied after the pivot).
func parentMountPrivate(path string) error {
	mounts, err := threadMounts(mountinfo.ParentsFilter(path))
	if err != nil {
		return err
	}
	var parent *mountinfo.Info
	for _, m := range mounts {
		if parent == nil || len(m.Mountpoint) >= len(parent.Mountpoint) {
			parent = m
		}
	}
	if parent == nil || !strings.Contains(parent.Optional, "shared:") && !strings.Contains(parent.Optional, "unbindable") {
		return nil
	}
	return mountPath("", parent.Mountpoint, "", unix.MS_PRIVATE, "")
}

// mountEntry performs one spec.Mounts entry.
func mountEntry(r *root, spec *specs.Spec, m specs.Mount) error {
	o := ParseOptions(m.Options)
	if m.Type == "bind" || m.Type == "rbind" {
		o.Flags |= unix.MS_BIND
		if m.Type == "rbind" {
			o.Flags |= unix.MS_REC
		}
	}
	if o.IDMap || len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0 {
		return fmt.Errorf("mount %s: id-mapped mounts: %w", m.Destination, ErrUnsupported)
	}
	dest, err := cleanDest(m.Destination)
	if err != nil {
		return err
	}
	if err := checkProcDest(dest, m, o); err != nil {
		return err
	}
	switch {
	case o.IsBind():
		return bindMount(r, m.Source, dest, o)
	case o.Flags&unix.MS_REMOUNT != 0:
		return remount(r, dest, o)
	case m.Type == "cgroup" || m.Type == "cgroup2":
		return mountCgroup(r, spec, m, dest, o)
	default:
		return mountNew(r, m, dest, o)
	}
}

// hostFallback is where a filesystem the kernel refuses to mount afresh
// (sysfs without our own netns, mqueue without our own ipcns, in a user
// namespace) can be bind-mounted from instead, as runc does.
var hostFallback = map[string]string{"sysfs": "/sys", "mqueue": "/dev/mqueue"}

// mountNew mounts a new filesystem instance (proc, sysfs, tmpfs, devpts,
// mqueue, ...) on dest.
func mountNew(r *root, m specs.Mount, dest string, o Options) error {
	target, err := r.target(dest, true)
	if err != nil {
		return err
	}
	defer target.Close()
	if needsLegacyMount(o) {
		return asMountError(legacyMountAt(target, m, o), m.Source, dest, m.Type, o)
	}
	mfd, err := newFS(m.Type, m.Source, o)
	if errors.Is(err, unix.EPERM) && hostFallback[m.Type] != "" {
		bo := o
		bo.Flags |= unix.MS_BIND | unix.MS_REC
		return bindMount(r, hostFallback[m.Type], dest, bo)
	}
	if err == nil {
		defer unix.Close(mfd)
		err = attachWithPropagation(mfd, target, o)
	}
	return asMountError(err, m.Source, dest, m.Type, o)
}

// attachWithPropagation attaches mfd at target, then applies the
// propagation options (they act on the mount once it is in the tree).
func attachWithPropagation(mfd int, target *os.File, o Options) error {
	if err := attach(mfd, target); err != nil {
		return err
	}
	for _, p := range o.Propagation {
		if err := setPropagation(mfd, p); err != nil {
			return err
		}
	}
	return nil
}

// bindMount bind-mounts the host path source onto dest, creating dest as a
// file or directory like the source. The attributes (ro, nosuid, ...) are
// set on the detached clone, so the mount is never visible without them.
// As with runc, plain attributes apply to the top mount of an rbind; the
// "rro" family applies them to every submount.
func bindMount(r *root, source, dest string, o Options) error {
	fi, err := os.Stat(source)
	if err != nil {
		return err
	}
	target, err := r.target(dest, fi.IsDir())
	if err != nil {
		return err
	}
	defer target.Close()
	err = bindAt(source, target, o)
	return asMountError(err, source, dest, "bind", o)
}

func bindAt(source string, target *os.File, o Options) error {
	tree, err := cloneTree(unix.AT_FDCWD, source, o.IsRecursiveBind())
	if err != nil {
		return err
	}
	defer unix.Close(tree)
	set, clr := o.mountAttr()
	if err := setAttr(tree, false, set, clr); err != nil {
		return err
	}
	if err := setAttr(tree, true, o.RecSet, o.RecClr); err != nil {
		return err
	}
	return attachWithPropagation(tree, target, o)
}

// remount changes the attributes (and, with data, the superblock options)
// of the mount at dest, keeping every flag not named.
func remount(r *root, dest string, o Options) error {
	target, err := r.open(dest)
	if err != nil {
		return err
	}
	defer target.Close()
	fd := int(target.Fd())
	set, clr := o.mountAttr()
	err = setAttr(fd, false, set, clr)
	if err == nil {
		err = setAttr(fd, true, o.RecSet, o.RecClr)
	}
	if err == nil && len(o.Data) > 0 {
		err = reconfigure(fd, o)
	}
	for _, p := range o.Propagation {
		if err == nil {
			err = setPropagation(fd, p)
		}
	}
	return asMountError(err, "", dest, "", o)
}

// procAllowed are the /proc files a bind mount may cover (lxcfs and
// friends); anything else under /proc could hide or redirect the kernel
// interfaces the runtime hardens (CVE-2019-16884, CVE-2019-19921).
var procAllowed = map[string]bool{
	"/proc/cpuinfo": true, "/proc/diskstats": true, "/proc/meminfo": true, "/proc/stat": true,
	"/proc/swaps": true, "/proc/uptime": true, "/proc/loadavg": true, "/proc/slabinfo": true,
	"/proc/net/dev": true, "/proc/sys/kernel/ns_last_pid": true,
}

func checkProcDest(dest string, m specs.Mount, o Options) error {
	if !inside(dest, "/proc") {
		return nil
	}
	if dest == "/proc" && m.Type == "proc" && !o.IsBind() {
		return nil
	}
	if o.IsBind() && (procAllowed[dest] || dest == "/proc" && isProcfs(m.Source)) {
		return nil // a procfs bound at /proc: where proc cannot be mounted afresh
	}
	return fmt.Errorf("mount onto %s: only proc at /proc and binds onto the /proc allowlist are allowed: %w", dest, ErrUnsupported)
}

func isProcfs(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.PROC_SUPER_MAGIC
}
