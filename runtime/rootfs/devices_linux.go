package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// DefaultDevices are the nodes every container gets in /dev (runtime-spec
// "Default Devices"), in addition to linux.devices.
var DefaultDevices = []specs.LinuxDevice{
	charDev("/dev/null", 1, 3), charDev("/dev/zero", 1, 5), charDev("/dev/full", 1, 7),
	charDev("/dev/random", 1, 8), charDev("/dev/urandom", 1, 9), charDev("/dev/tty", 5, 0),
}

func charDev(path string, major, minor int64) specs.LinuxDevice {
	mode := os.FileMode(0o666)
	var id uint32
	return specs.LinuxDevice{Path: path, Type: "c", Major: major, Minor: minor, FileMode: &mode, UID: &id, GID: &id}
}

// needsDev reports whether the runtime populates /dev: not when the spec
// bind-mounts the host's /dev (as runc).
func needsDev(spec *specs.Spec) bool {
	for _, m := range spec.Mounts {
		o := ParseOptions(m.Options)
		if filepath.Clean(m.Destination) == "/dev" && (o.IsBind() || m.Type == "bind") {
			return false
		}
	}
	return true
}

// dirCache holds the directories devices are made in, opened once (each
// safe lookup costs a few system calls; /dev serves nearly every node).
type dirCache struct {
	r    *root
	dirs map[string]*os.File
}

func newDirCache(r *root) *dirCache { return &dirCache{r: r, dirs: map[string]*os.File{}} }

// dir returns a handle to the resolved directory path, creating it.
func (c *dirCache) dir(path string) (*os.File, error) {
	if f, ok := c.dirs[path]; ok {
		return f, nil
	}
	f, err := c.r.mkdirAll(path, 0o755)
	if err != nil {
		return nil, err
	}
	c.dirs[path] = f
	return f, nil
}

func (c *dirCache) Close() {
	for _, f := range c.dirs {
		f.Close()
	}
}

// populateDev makes the devices and the /dev symlinks.
func populateDev(r *root, spec *specs.Spec) error {
	dirs := newDirCache(r)
	defer dirs.Close()
	if err := createDevices(dirs, spec); err != nil {
		return err
	}
	return devSymlinks(dirs)
}

// createDevices makes the default devices and linux.devices (which win over
// a default of the same path).
func createDevices(dirs *dirCache, spec *specs.Spec) error {
	var extra []specs.LinuxDevice
	if spec.Linux != nil {
		extra = spec.Linux.Devices
	}
	for _, d := range DefaultDevices {
		if overridden(d.Path, extra) {
			continue
		}
		if err := createDevice(dirs, d); err != nil {
			return err
		}
	}
	for i, d := range extra {
		if err := createDevice(dirs, d); err != nil {
			return fieldErr(fmt.Sprintf("linux.devices[%d]", i), err)
		}
	}
	return nil
}

func overridden(path string, devs []specs.LinuxDevice) bool {
	for _, d := range devs {
		if filepath.Clean(d.Path) == path {
			return true
		}
	}
	return false
}

// createDevice makes one node inside the root, replacing whatever the image
// had there. mknod is refused in a user namespace (EPERM), or by a devices
// cgroup without "c *:* m": the host's node at the same path is then
// bind-mounted onto an empty file, as runc does in a user namespace.
func createDevice(dirs *dirCache, d specs.LinuxDevice) error {
	dest, err := cleanDest(d.Path)
	if err != nil {
		return err
	}
	resolved := dirs.r.resolve(dest)
	parent, err := dirs.dir(filepath.Dir(resolved))
	if err != nil {
		return err
	}
	name := filepath.Base(resolved)
	if err := unix.Unlinkat(int(parent.Fd()), name, 0); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "unlink", Path: dest, Err: err}
	}
	err = mknodAt(parent, name, d)
	if errors.Is(err, unix.EPERM) {
		return bindDevice(parent, name, dest)
	}
	if err != nil {
		return &os.PathError{Op: "mknod", Path: dest, Err: err}
	}
	return ownDevice(parent, name, dest, d)
}

func mknodAt(parent *os.File, name string, d specs.LinuxDevice) error {
	var kind uint32
	switch d.Type {
	case "c", "u":
		kind = unix.S_IFCHR
	case "b":
		kind = unix.S_IFBLK
	case "p":
		kind = unix.S_IFIFO
	default:
		return fmt.Errorf("type: unknown device type %q: %w", d.Type, unix.EINVAL)
	}
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(d.FileMode.Perm())
	}
	dev := int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))
	return unix.Mknodat(int(parent.Fd()), name, kind|perm, dev)
}

// ownDevice sets the owner and, past the umask, the exact mode.
func ownDevice(parent *os.File, name, dest string, d specs.LinuxDevice) error {
	uid, gid := 0, 0
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	if err := unix.Fchownat(int(parent.Fd()), name, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "chown", Path: dest, Err: err}
	}
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(d.FileMode.Perm())
	}
	// The node was just made by us in a directory we hold: fchmodat cannot
	// be redirected by a symlink that is not there.
	if err := unix.Fchmodat(int(parent.Fd()), name, perm, 0); err != nil {
		return &os.PathError{Op: "chmod", Path: dest, Err: err}
	}
	return nil
}

// bindDevice bind-mounts the host's node at hostPath onto a new empty file.
// Without such a node the mknod error is what the user needs to see.
func bindDevice(parent *os.File, name, hostPath string) error {
	if _, err := os.Stat(hostPath); err != nil {
		return fmt.Errorf("%w (and the host has no %s to bind instead)", &os.PathError{Op: "mknod", Path: hostPath, Err: unix.EPERM}, hostPath)
	}
	target, err := createAt(parent, name, hostPath)
	if err != nil {
		return err
	}
	defer target.Close()
	o := Options{Flags: unix.MS_BIND}
	return asMountError(bindAt(hostPath, target, o), hostPath, hostPath, "bind", o)
}

// devLinks are the /dev symlinks runc makes.
var devLinks = [][2]string{
	{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
	{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
}

// devSymlinks makes /dev/fd, /dev/std{in,out,err}, /dev/core when the
// kernel has /proc/kcore, and /dev/ptmx -> pts/ptmx (replacing any node, so
// the container's devpts instance serves ptys).
func devSymlinks(dirs *dirCache) error {
	dev, err := dirs.dir(dirs.r.resolve("/dev"))
	if err != nil {
		return err
	}
	links := append([][2]string{}, devLinks...)
	if _, err := os.Lstat("/proc/kcore"); err == nil {
		links = append(links, [2]string{"/proc/kcore", "core"})
	}
	for _, l := range links {
		err := unix.Symlinkat(l[0], int(dev.Fd()), l[1])
		if err != nil && err != unix.EEXIST {
			return &os.PathError{Op: "symlink", Path: "/dev/" + l[1], Err: err}
		}
	}
	if err := unix.Unlinkat(int(dev.Fd()), "ptmx", 0); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "unlink", Path: "/dev/ptmx", Err: err}
	}
	if err := unix.Symlinkat("pts/ptmx", int(dev.Fd()), "ptmx"); err != nil {
		return &os.PathError{Op: "symlink", Path: "/dev/ptmx", Err: err}
	}
	return nil
}
