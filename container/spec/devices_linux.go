package spec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func i64(n int64) *int64 { return &n }

// defaultDeviceRules is docker's device cgroup policy (moby
// daemon/pkg/oci/defaults.go) completed with the rules runc adds for the
// nodes every container gets, so the spec means the same under any
// runtime: deny everything, allow mknod of any node (so images can still
// create nodes they cannot open), the standard character devices, the
// console and ptys, /dev/net/tun. fuse is simply not allowed: an explicit
// deny rule after the "c *:* m" wildcard is something runc's v1 device
// controller refuses ("cannot punch hole in existing wildcard rule"), so
// the spec would not run under --runtime runc.
func defaultDeviceRules() []specs.LinuxDeviceCgroup {
	allow := func(typ string, major, minor *int64, access string) specs.LinuxDeviceCgroup {
		return specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: major, Minor: minor, Access: access}
	}
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		allow("c", nil, nil, "m"),
		allow("b", nil, nil, "m"),
		allow("c", i64(1), i64(3), "rwm"),    // /dev/null
		allow("c", i64(1), i64(5), "rwm"),    // /dev/zero
		allow("c", i64(1), i64(7), "rwm"),    // /dev/full
		allow("c", i64(1), i64(8), "rwm"),    // /dev/random
		allow("c", i64(1), i64(9), "rwm"),    // /dev/urandom
		allow("c", i64(5), i64(0), "rwm"),    // /dev/tty
		allow("c", i64(5), i64(1), "rwm"),    // /dev/console
		allow("c", i64(5), i64(2), "rwm"),    // /dev/ptmx
		allow("c", i64(136), nil, "rwm"),     // /dev/pts/*
		allow("c", i64(10), i64(200), "rwm"), // /dev/net/tun
	}
}

// devices returns linux.devices and the device cgroup rules: docker's
// defaults plus --device and --device-cgroup-rule, or for --privileged
// every host device and no restriction.
func devices(hc *ctypes.HostConfig) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	if hc.Privileged {
		devs, err := hostDevices()
		if err != nil {
			return nil, nil, err
		}
		for _, m := range hc.Devices {
			if filepath.Clean(m.PathOnHost) == filepath.Clean(containerPath(m)) {
				continue // already there with the whole of /dev
			}
			d, _, err := devicesFromPath(m.PathOnHost, containerPath(m), "rwm")
			if err != nil {
				return nil, nil, err
			}
			devs = append(devs, d...)
		}
		return devs, []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}, nil
	}
	var devs []specs.LinuxDevice
	rules := defaultDeviceRules()
	for _, m := range hc.Devices {
		d, r, err := devicesFromPath(m.PathOnHost, containerPath(m), m.CgroupPermissions)
		if err != nil {
			return nil, nil, err
		}
		devs, rules = append(devs, d...), append(rules, r...)
	}
	for _, s := range hc.DeviceCgroupRules {
		r, err := parseDeviceRule(s)
		if err != nil {
			return nil, nil, err
		}
		rules = append(rules, r)
	}
	return devs, rules, nil
}

func containerPath(m ctypes.DeviceMapping) string {
	if m.PathInContainer == "" {
		return m.PathOnHost
	}
	return m.PathInContainer
}

var errNotDevice = errors.New("not a device node")

// devicesFromPath maps --device host[:container[:perms]]: a node, a
// symlink to one, or a directory whose nodes are all mapped (docker's
// --device /dev/snd).
func devicesFromPath(host, ctr, perms string) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	if perms == "" {
		perms = "rwm"
	}
	if !validDevicePerms(perms) {
		return nil, nil, invalidf("invalid device mode: %s", perms)
	}
	if !filepath.IsAbs(ctr) {
		return nil, nil, invalidf("%s is not an absolute path", ctr)
	}
	resolved := host
	if fi, err := os.Lstat(host); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if p, err := filepath.EvalSymlinks(host); err == nil {
			resolved = p
		}
	}
	d, err := deviceFromPath(resolved)
	if err == nil {
		d.Path = filepath.Clean(ctr)
		return []specs.LinuxDevice{d}, []specs.LinuxDeviceCgroup{deviceRule(d, perms)}, nil
	}
	var devs []specs.LinuxDevice
	var rules []specs.LinuxDeviceCgroup
	if errors.Is(err, errNotDevice) {
		_ = filepath.WalkDir(resolved, func(p string, e fs.DirEntry, werr error) error {
			if werr != nil || e.IsDir() {
				return nil
			}
			d, err := deviceFromPath(p)
			if err != nil {
				return nil // skip what is not a node, as docker does
			}
			d.Path = filepath.Join(ctr, strings.TrimPrefix(p, resolved))
			devs, rules = append(devs, d), append(rules, deviceRule(d, perms))
			return nil
		})
	}
	if len(devs) > 0 {
		return devs, rules, nil
	}
	return nil, nil, invalidWrap(err, "error gathering device information while adding custom device %q", host)
}

// deviceFromPath stats a host node (not following a final symlink).
func deviceFromPath(p string) (specs.LinuxDevice, error) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return specs.LinuxDevice{}, &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		typ = "c"
	case unix.S_IFBLK:
		typ = "b"
	default:
		return specs.LinuxDevice{}, errNotDevice
	}
	mode := os.FileMode(st.Mode & 0o7777)
	uid, gid := st.Uid, st.Gid
	return specs.LinuxDevice{
		Type: typ, Path: p, FileMode: &mode, UID: &uid, GID: &gid,
		Major: int64(unix.Major(st.Rdev)), Minor: int64(unix.Minor(st.Rdev)),
	}, nil
}

func deviceRule(d specs.LinuxDevice, perms string) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: true, Type: d.Type, Major: i64(d.Major), Minor: i64(d.Minor), Access: perms}
}

// validDevicePerms: a non-empty subset of "rwm", no letter twice.
func validDevicePerms(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for i, c := range s {
		if !strings.ContainsRune("rwm", c) || strings.ContainsRune(s[i+1:], c) {
			return false
		}
	}
	return true
}

// parseDeviceRule parses --device-cgroup-rule "c 1:3 rwm" ("a", "*").
func parseDeviceRule(s string) (specs.LinuxDeviceCgroup, error) {
	bad := invalidf("invalid device cgroup rule format: '%s'", s)
	f := strings.Fields(s)
	if len(f) != 3 || !strings.Contains("acb", f[0]) || len(f[0]) != 1 || !validDevicePerms(f[2]) {
		return specs.LinuxDeviceCgroup{}, bad
	}
	maj, min, ok := strings.Cut(f[1], ":")
	if !ok {
		return specs.LinuxDeviceCgroup{}, bad
	}
	r := specs.LinuxDeviceCgroup{Allow: true, Type: f[0], Access: f[2]}
	for _, p := range []struct {
		s   string
		dst **int64
	}{{maj, &r.Major}, {min, &r.Minor}} {
		if p.s == "*" {
			continue
		}
		n, err := strconv.ParseInt(p.s, 10, 64)
		if err != nil || n < 0 {
			return specs.LinuxDeviceCgroup{}, bad
		}
		*p.dst = i64(n)
	}
	return r, nil
}

// hostDevices lists every node under the host's /dev for --privileged,
// skipping the per-instance filesystems the container gets its own of
// (pts, shm, mqueue), /dev/console and /dev/ptmx (the runtime sets those
// up), and a few trees known to hold unusable nodes.
func hostDevices() ([]specs.LinuxDevice, error) {
	var out []specs.LinuxDevice
	err := filepath.WalkDir("/dev", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == "/dev" {
				return err
			}
			return nil
		}
		if e.IsDir() {
			switch e.Name() {
			case "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev":
				return fs.SkipDir
			}
			return nil
		}
		if p == "/dev/console" || p == "/dev/ptmx" || e.Type()&fs.ModeDevice == 0 {
			return nil
		}
		d, err := deviceFromPath(p)
		if err != nil {
			return nil // gone meanwhile, or not a node
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, &os.PathError{Op: "walk", Path: "/dev", Err: err}
	}
	return out, nil
}
