package rootfs

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Options is a parsed spec mount options list: the MS_* flags of mount(2)
// (kept so errors print the flags by name, as users know them), the
// propagation changes, the recursive mount attributes (runc's "rro" family)
// and the filesystem data options, passed through to the filesystem.
type Options struct {
	Flags       uintptr   // MS_* flags to set
	Cleared     uintptr   // MS_* flags explicitly cleared ("rw", "suid", "dev", ...)
	Propagation []uintptr // MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE, maybe |MS_REC, in order
	RecSet      uint64    // MOUNT_ATTR_* set recursively ("rro", "rnosuid", ...)
	RecClr      uint64    // MOUNT_ATTR_* cleared recursively ("rrw", "rsuid", ...)
	Data        []string  // filesystem options ("mode=755", "size=64k", "newinstance")
	IDMap       bool      // "idmap" or "ridmap" (ID-mapped mount) was asked for
}

type flagOpt struct {
	clear bool
	flag  uintptr
}

// flagOptions is runc's table of mount(2) flag options.
var flagOptions = map[string]flagOpt{
	"acl": {false, unix.MS_POSIXACL}, "async": {true, unix.MS_SYNCHRONOUS},
	"atime": {true, unix.MS_NOATIME}, "bind": {false, unix.MS_BIND},
	"defaults": {false, 0}, "dev": {true, unix.MS_NODEV},
	"diratime": {true, unix.MS_NODIRATIME}, "dirsync": {false, unix.MS_DIRSYNC},
	"exec": {true, unix.MS_NOEXEC}, "iversion": {false, unix.MS_I_VERSION},
	"lazytime": {false, unix.MS_LAZYTIME}, "loud": {true, unix.MS_SILENT},
	"mand": {false, unix.MS_MANDLOCK}, "noacl": {true, unix.MS_POSIXACL},
	"noatime": {false, unix.MS_NOATIME}, "nodev": {false, unix.MS_NODEV},
	"nodiratime": {false, unix.MS_NODIRATIME}, "noexec": {false, unix.MS_NOEXEC},
	"noiversion": {true, unix.MS_I_VERSION}, "nolazytime": {true, unix.MS_LAZYTIME},
	"nomand": {true, unix.MS_MANDLOCK}, "norelatime": {true, unix.MS_RELATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME}, "nosuid": {false, unix.MS_NOSUID},
	"nosymfollow": {false, unix.MS_NOSYMFOLLOW}, "rbind": {false, unix.MS_BIND | unix.MS_REC},
	"relatime": {false, unix.MS_RELATIME}, "remount": {false, unix.MS_REMOUNT},
	"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY},
	"silent": {false, unix.MS_SILENT}, "strictatime": {false, unix.MS_STRICTATIME},
	"suid": {true, unix.MS_NOSUID}, "symfollow": {true, unix.MS_NOSYMFOLLOW},
	"sync": {false, unix.MS_SYNCHRONOUS},
}

// propagationOptions maps the propagation options to mount(2) flags.
var propagationOptions = map[string]uintptr{
	"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
	"unbindable": unix.MS_UNBINDABLE, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

type recOpt struct {
	clear bool
	attr  uint64
}

// recursiveOptions are runc's recursive mount attributes (mount_setattr with
// AT_RECURSIVE). The atime modes are a field, not bits: setting one clears
// MOUNT_ATTR__ATIME first (see mountAttr).
var recursiveOptions = map[string]recOpt{
	"rro": {false, unix.MOUNT_ATTR_RDONLY}, "rrw": {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid": {false, unix.MOUNT_ATTR_NOSUID}, "rsuid": {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev": {false, unix.MOUNT_ATTR_NODEV}, "rdev": {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec": {false, unix.MOUNT_ATTR_NOEXEC}, "rexec": {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime": {false, unix.MOUNT_ATTR_NODIRATIME}, "rdiratime": {true, unix.MOUNT_ATTR_NODIRATIME},
	"rnosymfollow": {false, unix.MOUNT_ATTR_NOSYMFOLLOW}, "rsymfollow": {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rrelatime": {false, unix.MOUNT_ATTR_RELATIME}, "rnorelatime": {true, unix.MOUNT_ATTR_RELATIME},
	"rnoatime": {false, unix.MOUNT_ATTR_NOATIME}, "ratime": {true, unix.MOUNT_ATTR_NOATIME},
	"rstrictatime": {false, unix.MOUNT_ATTR_STRICTATIME}, "rnostrictatime": {true, unix.MOUNT_ATTR_STRICTATIME},
}

// ParseOptions splits spec mount options into flags, propagation, recursive
// attributes and data, as runc does: anything not in the flag tables is a
// filesystem data option.
func ParseOptions(options []string) Options {
	var o Options
	for _, opt := range options {
		if f, ok := flagOptions[opt]; ok {
			if f.clear {
				o.Flags &^= f.flag
				o.Cleared |= f.flag
			} else {
				o.Flags |= f.flag
				o.Cleared &^= f.flag
			}
			continue
		}
		if p, ok := propagationOptions[opt]; ok {
			o.Propagation = append(o.Propagation, p)
			continue
		}
		if r, ok := recursiveOptions[opt]; ok {
			o.addRecursive(r)
			continue
		}
		if opt == "idmap" || opt == "ridmap" {
			o.IDMap = true
			continue
		}
		o.Data = append(o.Data, opt)
	}
	return o
}

func (o *Options) addRecursive(r recOpt) {
	isAtime := r.attr == unix.MOUNT_ATTR_RELATIME || r.attr == unix.MOUNT_ATTR_NOATIME ||
		r.attr == unix.MOUNT_ATTR_STRICTATIME
	switch {
	case isAtime && r.clear:
		// "ratime"/"rnorelatime"/...: back to the kernel default, relatime.
		o.RecSet &^= unix.MOUNT_ATTR__ATIME
		o.RecClr |= unix.MOUNT_ATTR__ATIME
	case isAtime:
		o.RecSet = o.RecSet&^unix.MOUNT_ATTR__ATIME | r.attr
		o.RecClr |= unix.MOUNT_ATTR__ATIME
	case r.clear:
		o.RecSet &^= r.attr
		o.RecClr |= r.attr
	default:
		o.RecSet |= r.attr
		o.RecClr &^= r.attr
	}
}

// IsBind reports whether the options ask for a bind mount.
func (o Options) IsBind() bool { return o.Flags&unix.MS_BIND != 0 }

// IsRecursiveBind reports whether the options ask for "rbind".
func (o Options) IsRecursiveBind() bool { return o.IsBind() && o.Flags&unix.MS_REC != 0 }

// DataString is the data as mount(2) would take it, for messages.
func (o Options) DataString() string { return strings.Join(o.Data, ",") }

// mountAttr translates the per-mount MS_* flags into mount_setattr's
// attr_set and attr_clr. Superblock flags (sync, dirsync, mand, lazytime)
// are not per-mount; they go to the filesystem (see sbFlags).
func (o Options) mountAttr() (set, clr uint64) {
	bits := []struct {
		ms   uintptr
		attr uint64
	}{
		{unix.MS_RDONLY, unix.MOUNT_ATTR_RDONLY}, {unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID},
		{unix.MS_NODEV, unix.MOUNT_ATTR_NODEV}, {unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
		{unix.MS_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME}, {unix.MS_NOSYMFOLLOW, unix.MOUNT_ATTR_NOSYMFOLLOW},
	}
	for _, b := range bits {
		if o.Flags&b.ms != 0 {
			set |= b.attr
		}
		if o.Cleared&b.ms != 0 {
			clr |= b.attr
		}
	}
	// The atime mode is one field; the last mode asked for wins, as in mount(8).
	switch {
	case o.Flags&unix.MS_STRICTATIME != 0:
		set, clr = set|unix.MOUNT_ATTR_STRICTATIME, clr|unix.MOUNT_ATTR__ATIME
	case o.Flags&unix.MS_NOATIME != 0:
		set, clr = set|unix.MOUNT_ATTR_NOATIME, clr|unix.MOUNT_ATTR__ATIME
	case o.Flags&unix.MS_RELATIME != 0:
		clr |= unix.MOUNT_ATTR__ATIME
	}
	return set, clr
}

// sbFlags are the superblock flags as fsconfig(2) flag keys, set on a new
// filesystem ("ro" is not among them: read-only is made per mount, so a
// shared superblock such as sysfs' is not turned read-only for the host).
func (o Options) sbFlags() []string {
	names := []struct {
		ms  uintptr
		key string
	}{
		{unix.MS_SYNCHRONOUS, "sync"}, {unix.MS_DIRSYNC, "dirsync"},
		{unix.MS_MANDLOCK, "mand"}, {unix.MS_LAZYTIME, "lazytime"},
	}
	var keys []string
	for _, n := range names {
		if o.Flags&n.ms != 0 {
			keys = append(keys, n.key)
		}
	}
	return keys
}

// ParsePropagation parses a single propagation value such as
// linux.rootfsPropagation ("rslave", "shared", ...).
func ParsePropagation(s string) (uintptr, error) {
	p, ok := propagationOptions[s]
	if !ok {
		return 0, fmt.Errorf("unknown mount propagation %q", s)
	}
	return p, nil
}
