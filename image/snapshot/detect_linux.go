package snapshot

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// overlaySupported test-mounts overlay with dirs under tmp: the only
// reliable check, since the kernel may have overlay yet refuse it here
// (upper dir on overlayfs, i.e. onggi in a container; no CAP_SYS_ADMIN;
// a filesystem without trusted xattrs or d_type). This is the one mount
// image/ ever makes, and it is undone at once.
func overlaySupported(tmp string) (retErr error) {
	dir, err := os.MkdirTemp(tmp, "detect-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, d := range []string{"lower1", "lower2", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	// The layer format needs whiteout devices and trusted xattrs too.
	if err := unix.Mknod(filepath.Join(dir, "lower2", "wh"), unix.S_IFCHR, 0); err != nil {
		return &os.PathError{Op: "mknod whiteout", Path: dir, Err: err}
	}
	if err := unix.Setxattr(filepath.Join(dir, "lower1"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		return &os.PathError{Op: "setxattr trusted.overlay.opaque", Path: dir, Err: err}
	}
	data := fmt.Sprintf("lowerdir=%s:%s,upperdir=%s,workdir=%s", filepath.Join(dir, "lower2"), filepath.Join(dir, "lower1"),
		filepath.Join(dir, "upper"), filepath.Join(dir, "work"))
	for _, o := range overlayExtraOptions() { // the options real mounts will carry
		data += "," + o
	}
	merged := filepath.Join(dir, "merged")
	if err := unix.Mount("overlay", merged, "overlay", 0, data); err != nil {
		return &os.PathError{Op: "mount overlay", Path: merged, Err: err}
	}
	if err := unix.Unmount(merged, unix.MNT_DETACH); err != nil {
		return &os.PathError{Op: "umount", Path: merged, Err: err}
	}
	return nil
}

// overlayExtraOptions are options every overlay mount gets, each only when
// the kernel knows it. index=off lets one lower dir serve many overlays
// without inode-index conflicts (as containerd does). redirect_dir=off and
// metacopy=off keep the upper dir a plain tree of whole files: with them
// on (a distribution's default may do so), a renamed directory becomes a
// redirect xattr and a chmod a data-less copy-up, which Diff, reading the
// upper dir directly, would turn into a wrong layer.
func overlayExtraOptions() []string {
	var out []string
	for _, p := range []string{"index", "redirect_dir", "metacopy"} {
		if _, err := os.Stat("/sys/module/overlay/parameters/" + p); err == nil {
			out = append(out, p+"=off")
		}
	}
	return out
}
