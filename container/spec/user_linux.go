package spec

import (
	"errors"
	"fmt"
	"io"
	"os"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// maxUserFile bounds how much of an image's /etc/passwd or /etc/group is
// read: the files come from an untrusted image.
const maxUserFile = 16 << 20

func resolveUser(rootfs, spec string, groupAdd []string) (specs.User, error) {
	passwd, err := openUserFile(rootfs, "/etc/passwd")
	if err != nil {
		return specs.User{}, err
	}
	defer closeFile(passwd)
	group, err := openUserFile(rootfs, "/etc/group")
	if err != nil {
		return specs.User{}, err
	}
	defer closeFile(group)

	eu, err := user.GetExecUser(spec, nil, reader(passwd), reader(group))
	if err != nil {
		return specs.User{}, invalidWrap(nil, "%s", err.Error())
	}
	u := specs.User{UID: uint32(eu.Uid), GID: uint32(eu.Gid)}
	// docker lists the primary group first, then the memberships from
	// /etc/group, then --group-add.
	u.AdditionalGids = []uint32{u.GID}
	for _, g := range eu.Sgids {
		u.AdditionalGids = append(u.AdditionalGids, uint32(g))
	}
	for _, name := range groupAdd {
		gid, err := lookupGroup(group, name)
		if err != nil {
			return specs.User{}, err
		}
		u.AdditionalGids = append(u.AdditionalGids, gid)
	}
	return u, nil
}

// lookupGroup resolves one --group-add entry (a name, or a number that
// need not exist). One lookup per entry keeps the user's order, which
// GetAdditionalGroups (a map inside) does not.
func lookupGroup(group *os.File, name string) (uint32, error) {
	if group != nil {
		if _, err := group.Seek(0, io.SeekStart); err != nil {
			return 0, fmt.Errorf("rereading /etc/group: %w", err)
		}
	}
	gids, err := user.GetAdditionalGroups([]string{name}, reader(group))
	if err != nil {
		return 0, invalidWrap(nil, "%s", err.Error())
	}
	if len(gids) != 1 {
		return 0, invalidf("unable to find group %s", name)
	}
	return uint32(gids[0]), nil
}

// openUserFile opens name inside rootfs as if rootfs were the root
// directory (an image's /etc/passwd may be a symlink to "/../../etc/shadow"
// and must then resolve inside the image, never on the host), and checks it
// is a regular file: a fifo would block and a device could be endless. A
// missing file is (nil, nil), as docker treats it.
func openUserFile(rootfs, name string) (*os.File, error) {
	h, err := pathrs.OpenInRoot(rootfs, name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
			return nil, nil
		}
		return nil, fmt.Errorf("opening %s in the container's root: %w", name, err)
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return nil, &os.PathError{Op: "fstat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, invalidf("%s in the image is not a regular file", name)
	}
	f, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("opening %s in the container's root: %w", name, err)
	}
	return f, nil
}

// reader turns a missing file into a nil io.Reader (GetExecUser's "no
// file") rather than a typed nil.
func reader(f *os.File) io.Reader {
	if f == nil {
		return nil
	}
	return io.LimitReader(f, maxUserFile)
}

func closeFile(f *os.File) {
	if f != nil {
		_ = f.Close()
	}
}
