package spec

import (
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// etcOrder is the order docker mounts the files it writes for a container.
var etcOrder = []string{"/etc/resolv.conf", "/etc/hostname", "/etc/hosts"}

// defaultMounts is docker's filesystem set (moby daemon/pkg/oci/defaults.go)
// in docker's order: /sys and the cgroup tree read-only unless privileged,
// a private /dev the runtime fills with the default nodes, /dev/shm sized
// by --shm-size.
func defaultMounts(hc *ctypes.HostConfig, sec securityOpts) []specs.Mount {
	ro := func(opts ...string) []string {
		if hc.Privileged {
			return opts
		}
		return append(opts, "ro")
	}
	cgroupOpts := []string{"nosuid", "noexec", "nodev"}
	if !hc.Privileged && !sec.writableCgroups {
		cgroupOpts = append([]string{"ro"}, cgroupOpts...)
	}
	ms := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: ro("nosuid", "noexec", "nodev")},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: cgroupOpts},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
	}
	switch {
	case hc.IpcMode.IsNone():
		// --ipc none: no /dev/shm at all, as docker.
	case hc.IpcMode.IsHost():
		ms = append(ms, specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/dev/shm", Options: []string{"rbind", "rprivate"}})
	default:
		size := hc.ShmSize
		if size <= 0 {
			size = defaultShmSize
		}
		ms = append(ms, specs.Mount{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
			Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=" + strconv.FormatInt(size, 10)}})
	}
	return ms
}

// etcMounts binds the engine-written /etc/resolv.conf, /etc/hostname and
// /etc/hosts, writable unless the rootfs is read-only, as docker's.
func etcMounts(files map[string]string, readonly bool) []specs.Mount {
	var out []specs.Mount
	for _, dst := range etcOrder {
		src, ok := files[dst]
		if !ok || src == "" {
			continue
		}
		opts := []string{"rbind", "rprivate"}
		if readonly {
			opts = append(opts, "ro")
		}
		out = append(out, specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opts})
	}
	return out
}

// tmpfsMounts turns --tmpfs path[:opts] into mounts with docker's
// defaults (noexec, nosuid, nodev) under the user's options.
func tmpfsMounts(tmpfs map[string]string) ([]specs.Mount, error) {
	dsts := make([]string, 0, len(tmpfs))
	for d := range tmpfs {
		dsts = append(dsts, d)
	}
	sort.Strings(dsts) // map order is random; the depth sort follows
	var out []specs.Mount
	for _, d := range dsts {
		if d == "" {
			return nil, invalidf("invalid mount config for type \"tmpfs\": field Target must not be empty")
		}
		if !path.IsAbs(d) {
			return nil, invalidf("invalid mount path: '%s' mount path must be absolute", d)
		}
		if path.Clean(d) == "/" {
			return nil, invalidf("invalid specification: destination can't be '/'")
		}
		opts := []string{"noexec", "nosuid", "nodev", "rprivate"}
		if data := tmpfs[d]; data != "" {
			opts = append(opts, strings.Split(data, ",")...)
		}
		out = append(out, specs.Mount{Destination: path.Clean(d), Type: "tmpfs", Source: "tmpfs", Options: mergeTmpfsOptions(opts)})
	}
	return out, nil
}

// flagOpposites pairs mount flags that cancel each other.
var flagOpposites = map[string]string{
	"ro": "rw", "rw": "ro", "exec": "noexec", "noexec": "exec", "suid": "nosuid", "nosuid": "suid",
	"dev": "nodev", "nodev": "dev", "atime": "noatime", "noatime": "atime",
	"diratime": "nodiratime", "nodiratime": "diratime", "relatime": "norelatime", "norelatime": "relatime",
	"strictatime": "nostrictatime", "nostrictatime": "strictatime",
}

var propagations = []string{"private", "rprivate", "shared", "rshared", "slave", "rslave"}

// mergeTmpfsOptions keeps the last word on each flag and key ("exec" after
// the default "noexec" wins; "size=1m,size=2m" is 2m), like moby/sys/mount.
func mergeTmpfsOptions(opts []string) []string {
	var out []string
	drop := func(match func(string) bool) {
		out = slices.DeleteFunc(out, match)
	}
	for _, o := range opts {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
			continue
		case strings.Contains(o, "="):
			k, _, _ := strings.Cut(o, "=")
			drop(func(x string) bool { return strings.HasPrefix(x, k+"=") })
		case slices.Contains(propagations, o):
			drop(func(x string) bool { return slices.Contains(propagations, x) })
		default:
			drop(func(x string) bool { return x == o || x == flagOpposites[o] })
		}
		out = append(out, o)
	}
	return out
}

// assembleMounts lays out the mount list as docker does: the defaults,
// minus any a user mount replaces (a user /dev replaces everything under
// it), then the user's mounts and the /etc files sorted by depth so a
// parent is mounted before what it contains. A default the user does not
// override gets "ro" under a read-only rootfs, except the kernel
// filesystems a container needs writable.
func assembleMounts(defaults, etc, user []specs.Mount, readonly bool) ([]specs.Mount, error) {
	userDst := map[string]bool{}
	for _, m := range user {
		d := path.Clean(m.Destination)
		if userDst[d] {
			return nil, invalidf("Duplicate mount point: %s", d)
		}
		userDst[d] = true
	}
	var out []specs.Mount
	for _, m := range defaults {
		if userDst[m.Destination] || (userDst["/dev"] && strings.HasPrefix(m.Destination, "/dev/")) {
			continue
		}
		if readonly && !slices.Contains([]string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"}, m.Destination) &&
			!slices.Contains(m.Options, "ro") {
			m.Options = append(append([]string{}, m.Options...), "ro")
		}
		out = append(out, m)
	}
	var rest []specs.Mount
	for _, m := range etc {
		if !userDst[m.Destination] {
			rest = append(rest, m)
		}
	}
	for _, m := range user {
		m.Destination = path.Clean(m.Destination)
		m.Options = slices.DeleteFunc(append([]string{}, m.Options...), func(o string) bool { return o == "" })
		rest = append(rest, m)
	}
	sort.SliceStable(rest, func(i, j int) bool { return depth(rest[i].Destination) < depth(rest[j].Destination) })
	return append(out, rest...), nil
}

func depth(p string) int {
	if p == "/" {
		return 0
	}
	return strings.Count(path.Clean(p), "/")
}

// rootfsPropagation is what linux.rootfsPropagation must be for the user
// mounts' propagation to work: a shared bind needs a shared root, a slave
// one a shared or slave root (docker's WithMounts).
func rootfsPropagation(user []specs.Mount) string {
	out := ""
	for _, m := range user {
		for _, o := range m.Options {
			switch o {
			case "shared", "rshared":
				return "shared"
			case "slave", "rslave":
				out = "rslave"
			}
		}
	}
	return out
}
