package rootfs

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrUnsupported classes requests this package refuses on purpose (ID-mapped
// mounts, mounts into /proc outside the allowlist, ...).
var ErrUnsupported = errors.New("unsupported")

// ErrUnsafe classes a rootfs that tries to redirect a privileged operation:
// a /dev/null that is not the null device, a /dev/console symlink, ...
var ErrUnsafe = errors.New("unsafe rootfs")

// MountError is a failed mount step. It prints like mount(8) users expect:
//
//	mount tmpfs:/dev (tmpfs, flags=MS_NOSUID|MS_STRICTATIME, data=mode=755): fsmount: operation not permitted
//
// Target is the path inside the container. Step is the system call that
// failed when it is not plain mount(2).
type MountError struct {
	Source, Target, FSType string
	Flags                  uintptr
	Data                   string
	Step                   string
	Err                    error
}

func (e *MountError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mount %s:%s (", e.Source, e.Target)
	if e.FSType != "" {
		b.WriteString(e.FSType + ", ")
	}
	fmt.Fprintf(&b, "flags=%s", FlagNames(e.Flags))
	if e.Data != "" {
		fmt.Fprintf(&b, ", data=%s", e.Data)
	}
	b.WriteString("): ")
	if e.Step != "" && e.Step != "mount" {
		b.WriteString(e.Step + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *MountError) Unwrap() error { return e.Err }

var flagNames = []struct {
	flag uintptr
	name string
}{
	{unix.MS_RDONLY, "MS_RDONLY"}, {unix.MS_NOSUID, "MS_NOSUID"}, {unix.MS_NODEV, "MS_NODEV"},
	{unix.MS_NOEXEC, "MS_NOEXEC"}, {unix.MS_SYNCHRONOUS, "MS_SYNCHRONOUS"}, {unix.MS_REMOUNT, "MS_REMOUNT"},
	{unix.MS_MANDLOCK, "MS_MANDLOCK"}, {unix.MS_DIRSYNC, "MS_DIRSYNC"}, {unix.MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"},
	{unix.MS_NOATIME, "MS_NOATIME"}, {unix.MS_NODIRATIME, "MS_NODIRATIME"}, {unix.MS_BIND, "MS_BIND"},
	{unix.MS_MOVE, "MS_MOVE"}, {unix.MS_REC, "MS_REC"}, {unix.MS_SILENT, "MS_SILENT"},
	{unix.MS_POSIXACL, "MS_POSIXACL"}, {unix.MS_UNBINDABLE, "MS_UNBINDABLE"}, {unix.MS_PRIVATE, "MS_PRIVATE"},
	{unix.MS_SLAVE, "MS_SLAVE"}, {unix.MS_SHARED, "MS_SHARED"}, {unix.MS_RELATIME, "MS_RELATIME"},
	{unix.MS_I_VERSION, "MS_I_VERSION"}, {unix.MS_STRICTATIME, "MS_STRICTATIME"}, {unix.MS_LAZYTIME, "MS_LAZYTIME"},
}

// FlagNames prints MS_* flags by name, "0" for none, unknown bits in hex.
func FlagNames(flags uintptr) string {
	if flags == 0 {
		return "0"
	}
	var names []string
	for _, f := range flagNames {
		if flags&f.flag != 0 {
			names = append(names, f.name)
			flags &^= f.flag
		}
	}
	if flags != 0 {
		names = append(names, fmt.Sprintf("%#x", flags))
	}
	return strings.Join(names, "|")
}

// fieldErr prefixes err with the spec field it came from ("mounts[3]").
func fieldErr(field string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", field, err)
}
