package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestPrepareDefaultMounts runs runc's default mount list and checks each
// mount type and its flags in mountinfo, the devices and the /dev symlinks.
func TestPrepareDefaultMounts(t *testing.T) {
	rootfs := newRootfs(t)
	spec := testbundle.Spec()
	inMountNS(t, filepath.Dir(rootfs), unix.CLONE_NEWCGROUP, func(t *testing.T) {
		if err := Prepare(spec, rootfs); err != nil {
			t.Fatal(err)
		}
		want := []struct {
			dest, fstype string
			opts         []string
			super        []string
		}{
			{"/proc", "proc", []string{"rw"}, nil},
			{"/dev", "tmpfs", []string{"rw", "nosuid"}, []string{"mode=755", "size=65536k"}},
			{"/dev/pts", "devpts", []string{"nosuid", "noexec"}, []string{"mode=620", "ptmxmode=666", "gid=5"}},
			{"/dev/shm", "tmpfs", []string{"nosuid", "nodev", "noexec"}, []string{"size=65536k"}}, // mode=1777 is tmpfs' default, not shown
			{"/dev/mqueue", "mqueue", []string{"nosuid", "nodev", "noexec"}, nil},
			{"/sys", "sysfs", []string{"ro", "nosuid", "nodev", "noexec"}, nil},
			{"/sys/fs/cgroup", "tmpfs", []string{"ro", "nosuid", "nodev", "noexec", "relatime"}, []string{"mode=755"}},
		}
		for _, w := range want {
			m := threadMount(t, rootfs+w.dest)
			if m.FSType != w.fstype {
				t.Errorf("%s: fstype %s, want %s", w.dest, m.FSType, w.fstype)
			}
			hasOpts(t, w.dest, m.Options, w.opts...)
			hasOpts(t, w.dest+" (super)", m.VFSOptions, w.super...)
		}
		// strictatime shows as the absence of relatime/noatime.
		if o := threadMount(t, rootfs+"/dev").Options; strings.Contains(o, "relatime") || strings.Contains(o, "noatime") {
			t.Errorf("/dev: want strictatime, options %q", o)
		}
		checkDefaultDevices(t, rootfs)
		checkDevSymlinks(t, rootfs)
	})
}

func checkDefaultDevices(t *testing.T, rootfs string) {
	t.Helper()
	for _, d := range DefaultDevices {
		var st unix.Stat_t
		if err := unix.Lstat(rootfs+d.Path, &st); err != nil {
			t.Errorf("%s: %v", d.Path, err)
			continue
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(uint32(d.Major), uint32(d.Minor)) || st.Mode&0o7777 != 0o666 {
			t.Errorf("%s: mode %o rdev %d:%d, want char %d:%d 0666", d.Path, st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev), d.Major, d.Minor)
		}
	}
}

func checkDevSymlinks(t *testing.T, rootfs string) {
	t.Helper()
	want := map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
		"stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx",
	}
	_, err := os.Lstat("/proc/kcore")
	if err == nil {
		want["core"] = "/proc/kcore"
	} else if _, err := os.Lstat(filepath.Join(rootfs, "dev/core")); err == nil {
		t.Error("/dev/core made although the kernel has no /proc/kcore")
	}
	for name, target := range want {
		got, err := os.Readlink(filepath.Join(rootfs, "dev", name))
		if err != nil || got != target {
			t.Errorf("/dev/%s -> %q (%v), want %q", name, got, err, target)
		}
	}
}

// TestBindMounts checks ro (really read-only), file binds and flags.
func TestBindMounts(t *testing.T) {
	rootfs := newRootfs(t)
	host := filepath.Join(filepath.Dir(rootfs), "hostdir")
	if err := os.MkdirAll(host, 0o755); err != nil {
		t.Fatal(err)
	}
	hostFile := filepath.Join(filepath.Dir(rootfs), "hostfile")
	if err := os.WriteFile(hostFile, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := minimalSpec(
		specs.Mount{Destination: "/mnt/ro", Type: "bind", Source: host, Options: []string{"rbind", "ro", "nosuid", "nodev", "noexec"}},
		specs.Mount{Destination: "/mnt/rw", Source: host, Options: []string{"bind", "noatime"}},
		specs.Mount{Destination: "/etc/new/file", Source: hostFile, Options: []string{"bind", "ro"}},
	)
	inMountNS(t, filepath.Dir(rootfs), 0, func(t *testing.T) {
		if err := Prepare(spec, rootfs); err != nil {
			t.Fatal(err)
		}
		hasOpts(t, "/mnt/ro", threadMount(t, rootfs+"/mnt/ro").Options, "ro", "nosuid", "nodev", "noexec")
		hasOpts(t, "/mnt/rw", threadMount(t, rootfs+"/mnt/rw").Options, "rw", "noatime")
		assertErrno(t, "create in ro bind", unix.Mkdir(rootfs+"/mnt/ro/x", 0o755), unix.EROFS)
		if err := os.Mkdir(rootfs+"/mnt/rw/x", 0o755); err != nil {
			t.Errorf("create in rw bind: %v", err)
		}
		data, err := os.ReadFile(rootfs + "/etc/new/file")
		if err != nil || string(data) != "hello" {
			t.Errorf("file bind reads %q, %v", data, err)
		}
		assertErrno(t, "write to ro file bind", unix.Access(rootfs+"/etc/new/file", unix.W_OK), unix.EROFS)
	})
	if _, err := os.Stat(filepath.Join(host, "x")); err != nil {
		t.Errorf("rw bind did not reach the host dir: %v", err)
	}
}

// TestRecursiveReadonly checks that "rro" reaches submounts and plain "ro"
// does not (runc's semantics).
func TestRecursiveReadonly(t *testing.T) {
	rootfs := newRootfs(t)
	host := filepath.Join(filepath.Dir(rootfs), "hostdir")
	spec := minimalSpec(
		specs.Mount{Destination: "/src", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/src/sub", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/plain", Source: rootfs + "/src", Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/rec", Source: rootfs + "/src", Options: []string{"rbind", "rro"}},
	)
	_ = os.MkdirAll(host, 0o755)
	inMountNS(t, filepath.Dir(rootfs), 0, func(t *testing.T) {
		if err := Prepare(spec, rootfs); err != nil {
			t.Fatal(err)
		}
		hasOpts(t, "/plain", threadMount(t, rootfs+"/plain").Options, "ro")
		hasOpts(t, "/plain/sub", threadMount(t, rootfs+"/plain/sub").Options, "rw")
		hasOpts(t, "/rec", threadMount(t, rootfs+"/rec").Options, "ro")
		hasOpts(t, "/rec/sub", threadMount(t, rootfs+"/rec/sub").Options, "ro")
	})
}

// TestPropagationOptions checks shared/slave/private/unbindable in mountinfo.
func TestPropagationOptions(t *testing.T) {
	rootfs := newRootfs(t)
	spec := minimalSpec(
		specs.Mount{Destination: "/src", Type: "tmpfs", Source: "tmpfs", Options: []string{"shared"}},
		specs.Mount{Destination: "/peer", Source: rootfs + "/src", Options: []string{"bind"}},
		specs.Mount{Destination: "/slave", Source: rootfs + "/src", Options: []string{"bind", "slave"}},
		specs.Mount{Destination: "/priv", Source: rootfs + "/src", Options: []string{"bind", "private"}},
		specs.Mount{Destination: "/unb", Type: "tmpfs", Source: "tmpfs", Options: []string{"unbindable"}},
	)
	inMountNS(t, filepath.Dir(rootfs), 0, func(t *testing.T) {
		if err := Prepare(spec, rootfs); err != nil {
			t.Fatal(err)
		}
		src := threadMount(t, rootfs+"/src").Optional
		if !strings.HasPrefix(src, "shared:") {
			t.Fatalf("/src: optional fields %q, want shared", src)
		}
		if got := threadMount(t, rootfs+"/peer").Optional; got != src {
			t.Errorf("/peer: %q, want a peer of /src (%q)", got, src)
		}
		if got := threadMount(t, rootfs+"/slave").Optional; got != "master:"+strings.TrimPrefix(src, "shared:") {
			t.Errorf("/slave: %q, want master of /src's group", got)
		}
		if got := threadMount(t, rootfs+"/priv").Optional; got != "" {
			t.Errorf("/priv: %q, want private", got)
		}
		if got := threadMount(t, rootfs+"/unb").Optional; got != "unbindable" {
			t.Errorf("/unb: %q, want unbindable", got)
		}
	})
}

// TestDevices checks linux.devices: type, major/minor, mode and owner.
func TestDevices(t *testing.T) {
	rootfs := newRootfs(t)
	mode := func(m os.FileMode) *os.FileMode { return &m }
	id := func(i uint32) *uint32 { return &i }
	spec := minimalSpec(specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"mode=755"}})
	spec.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: mode(0o620), UID: id(1000), GID: id(5)},
		{Path: "/dev/loopx", Type: "b", Major: 7, Minor: 200, FileMode: mode(0o600)},
		{Path: "/dev/sub/fifo", Type: "p", FileMode: mode(0o644)},
		{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: mode(0o600)},
	}
	inMountNS(t, filepath.Dir(rootfs), 0, func(t *testing.T) {
		if err := Prepare(spec, rootfs); err != nil {
			t.Fatal(err)
		}
		want := []struct {
			path       string
			kind, perm uint32
			rdev       uint64
			uid, gid   uint32
		}{
			{"/dev/fuse", unix.S_IFCHR, 0o620, unix.Mkdev(10, 229), 1000, 5},
			{"/dev/loopx", unix.S_IFBLK, 0o600, unix.Mkdev(7, 200), 0, 0},
			{"/dev/sub/fifo", unix.S_IFIFO, 0o644, 0, 0, 0},
			{"/dev/null", unix.S_IFCHR, 0o600, unix.Mkdev(1, 3), 0, 0}, // the spec overrides the default
			{"/dev/zero", unix.S_IFCHR, 0o666, unix.Mkdev(1, 5), 0, 0},
		}
		for _, w := range want {
			var st unix.Stat_t
			if err := unix.Lstat(rootfs+w.path, &st); err != nil {
				t.Errorf("%s: %v", w.path, err)
				continue
			}
			if st.Mode&unix.S_IFMT != w.kind || st.Mode&0o7777 != w.perm || st.Rdev != w.rdev || st.Uid != w.uid || st.Gid != w.gid {
				t.Errorf("%s: mode %o rdev %#x owner %d:%d; want %o|%o %#x %d:%d", w.path, st.Mode, st.Rdev, st.Uid, st.Gid, w.kind, w.perm, w.rdev, w.uid, w.gid)
			}
		}
	})
}

// TestMountErrors checks the typed error names the field, the mount and flags.
func TestMountErrors(t *testing.T) {
	rootfs := newRootfs(t)
	spec := minimalSpec(
		specs.Mount{Destination: "/ok", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/bad", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "mode=banana"}},
	)
	inMountNS(t, filepath.Dir(rootfs), 0, func(t *testing.T) {
		err := Prepare(spec, rootfs)
		var me *MountError
		if !errors.As(err, &me) {
			t.Fatalf("got %v, want a *MountError", err)
		}
		want := "mounts[1]: mount tmpfs:/bad (tmpfs, flags=MS_NOSUID, data=mode=banana): fsconfig mode=banana: invalid argument"
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error:\n got %s\nwant %s...", err, want)
		}
		if !errors.Is(err, unix.EINVAL) {
			t.Errorf("error does not unwrap to EINVAL: %v", err)
		}
	})
	for _, m := range []specs.Mount{
		{Destination: "/proc/sys/kernel", Source: "/tmp", Options: []string{"bind"}},
		{Destination: "/x", Source: "/tmp", Options: []string{"bind", "idmap"}},
	} {
		inMountNS(t, filepath.Dir(rootfs), 0, func(t *testing.T) {
			if err := Prepare(minimalSpec(m), rootfs); !errors.Is(err, ErrUnsupported) {
				t.Errorf("mount %s %v: got %v, want ErrUnsupported", m.Destination, m.Options, err)
			}
		})
	}
}

// TestRemount checks a "remount" entry changes flags and superblock options
// of an earlier mount, keeping the flags it does not name.
func TestRemount(t *testing.T) {
	rootfs := newRootfs(t)
	spec := minimalSpec(
		specs.Mount{Destination: "/data", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "size=1m"}},
		specs.Mount{Destination: "/data", Options: []string{"remount", "ro", "size=2m"}},
	)
	inMountNS(t, filepath.Dir(rootfs), 0, func(t *testing.T) {
		if err := Prepare(spec, rootfs); err != nil {
			t.Fatal(err)
		}
		m := threadMount(t, rootfs+"/data")
		hasOpts(t, "/data", m.Options, "ro", "nosuid", "nodev")
		hasOpts(t, "/data (super)", m.VFSOptions, "size=2048k")
	})
}

// TestProcBind checks the /proc allowlist: a procfs may be bound at /proc
// and lxcfs-style files over the allowlisted ones.
func TestProcBind(t *testing.T) {
	rootfs := newRootfs(t)
	fake := filepath.Join(filepath.Dir(rootfs), "meminfo")
	if err := os.WriteFile(fake, []byte("MemTotal: 1 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := minimalSpec(
		specs.Mount{Destination: "/proc", Source: "/proc", Options: []string{"rbind"}},
		specs.Mount{Destination: "/proc/meminfo", Source: fake, Options: []string{"bind"}},
	)
	inMountNS(t, filepath.Dir(rootfs), 0, func(t *testing.T) {
		if err := Prepare(spec, rootfs); err != nil {
			t.Fatal(err)
		}
		if got := readFirstLine(t, rootfs+"/proc/meminfo"); got != "MemTotal: 1 kB" {
			t.Errorf("/proc/meminfo reads %q", got)
		}
	})
}

// TestLongDataOption checks a data value longer than fsconfig takes (an
// overlay lowerdir of many layers) still mounts, through mount(2).
func TestLongDataOption(t *testing.T) {
	rootfs := newRootfs(t)
	base := filepath.Dir(rootfs)
	var lowers []string
	for i := range 12 {
		d := filepath.Join(base, "layers", strings.Repeat("l", 20)+itoa(i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		lowers = append(lowers, d)
	}
	if err := os.WriteFile(lowers[5]+"/f", []byte("from layer 5"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := minimalSpec(specs.Mount{Destination: "/ovl", Type: "overlay", Source: "overlay",
		Options: []string{"ro", "lowerdir=" + strings.Join(lowers, ":")}})
	inMountNS(t, base, 0, func(t *testing.T) {
		if err := Prepare(spec, rootfs); err != nil {
			t.Fatal(err)
		}
		hasOpts(t, "/ovl", threadMount(t, rootfs+"/ovl").Options, "ro")
		if data, err := os.ReadFile(rootfs + "/ovl/f"); err != nil || string(data) != "from layer 5" {
			t.Errorf("overlay reads %q (%v)", data, err)
		}
	})
}
