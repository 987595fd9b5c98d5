package rootfs

import (
	"errors"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseOptions(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want Options
	}{
		{"tmpfs", []string{"nosuid", "strictatime", "mode=755", "size=65536k"},
			Options{Flags: unix.MS_NOSUID | unix.MS_STRICTATIME, Data: []string{"mode=755", "size=65536k"}}},
		{"ro bind", []string{"rbind", "ro", "nosuid", "nodev", "noexec"},
			Options{Flags: unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC}},
		{"last wins", []string{"ro", "rw", "nosuid", "suid"},
			Options{Cleared: unix.MS_RDONLY | unix.MS_NOSUID}},
		{"clear then set", []string{"rw", "ro"}, Options{Flags: unix.MS_RDONLY}},
		{"propagation in order", []string{"bind", "rprivate", "shared", "slave", "runbindable"},
			Options{Flags: unix.MS_BIND, Propagation: []uintptr{unix.MS_PRIVATE | unix.MS_REC, unix.MS_SHARED, unix.MS_SLAVE, unix.MS_UNBINDABLE | unix.MS_REC}}},
		{"recursive attrs", []string{"rbind", "rro", "rnosuid", "rnoatime"},
			Options{Flags: unix.MS_BIND | unix.MS_REC, RecSet: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NOATIME, RecClr: unix.MOUNT_ATTR__ATIME}},
		{"recursive clear", []string{"rro", "rrw", "rexec"},
			Options{RecClr: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOEXEC}},
		{"sb flags and misc", []string{"sync", "dirsync", "remount", "defaults", "newinstance", "gid=5"},
			Options{Flags: unix.MS_SYNCHRONOUS | unix.MS_DIRSYNC | unix.MS_REMOUNT, Data: []string{"newinstance", "gid=5"}}},
		{"idmap", []string{"rbind", "idmap"}, Options{Flags: unix.MS_BIND | unix.MS_REC, IDMap: true}},
		{"atime family", []string{"noatime", "nodiratime", "relatime", "norelatime"},
			Options{Flags: unix.MS_NOATIME | unix.MS_NODIRATIME, Cleared: unix.MS_RELATIME}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ParseOptions(c.in); !reflect.DeepEqual(got, c.want) {
				t.Errorf("ParseOptions(%q)\n got %+v\nwant %+v", c.in, got, c.want)
			}
		})
	}
}

func TestMountAttr(t *testing.T) {
	set, clr := ParseOptions([]string{"ro", "nosuid", "nodev", "noexec", "strictatime", "suid"}).mountAttr()
	wantSet := uint64(unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_STRICTATIME)
	wantClr := uint64(unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR__ATIME)
	if set != wantSet || clr != wantClr {
		t.Errorf("mountAttr = %#x, %#x; want %#x, %#x", set, clr, wantSet, wantClr)
	}
	set, clr = ParseOptions([]string{"rw"}).mountAttr()
	if set != 0 || clr != unix.MOUNT_ATTR_RDONLY {
		t.Errorf("rw: mountAttr = %#x, %#x", set, clr)
	}
	if got := ParseOptions([]string{"sync", "ro", "lazytime"}).sbFlags(); !reflect.DeepEqual(got, []string{"sync", "lazytime"}) {
		t.Errorf("sbFlags = %q", got)
	}
}

func TestParsePropagation(t *testing.T) {
	for in, want := range map[string]uintptr{
		"rslave": unix.MS_SLAVE | unix.MS_REC, "shared": unix.MS_SHARED, "private": unix.MS_PRIVATE,
		"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
	} {
		if got, err := ParsePropagation(in); err != nil || got != want {
			t.Errorf("ParsePropagation(%q) = %#x, %v; want %#x", in, got, err, want)
		}
	}
	if _, err := ParsePropagation("sideways"); err == nil {
		t.Error("ParsePropagation(sideways) succeeded")
	}
}

func TestMountErrorFormat(t *testing.T) {
	o := ParseOptions([]string{"nosuid", "strictatime", "mode=755"})
	err := asMountError(&stepErr{"fsmount", unix.EPERM}, "tmpfs", "/dev", "tmpfs", o)
	want := "mount tmpfs:/dev (tmpfs, flags=MS_NOSUID|MS_STRICTATIME, data=mode=755): fsmount: operation not permitted"
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	if !errors.Is(err, unix.EPERM) {
		t.Error("MountError does not unwrap to its errno")
	}
	if got := fieldErr("mounts[3]", err).Error(); got != "mounts[3]: "+want {
		t.Errorf("fieldErr: %s", got)
	}
	if got := FlagNames(unix.MS_BIND | unix.MS_REC | 1<<40); got != "MS_BIND|MS_REC|0x10000000000" {
		t.Errorf("FlagNames = %s", got)
	}
}
