// Package rootfs builds a container's root filesystem from inside the
// container's init: mount propagation, the rootfs bind, every spec.Mounts
// entry, /dev and its devices, pivot_root (or MS_MOVE + chroot), the console
// bind, masked and read-only paths and a read-only root.
//
// Every mount target is resolved inside the rootfs by file descriptor
// (openat2 RESOLVE_IN_ROOT through github.com/cyphar/filepath-securejoin's
// pathrs-lite) and every mount is attached to that descriptor with the new
// mount API (fsopen/fsmount, open_tree, mount_setattr, move_mount), so a
// symlink planted by the image or raced in by another container can never
// redirect a mount to the host (CVE-2021-30465, CVE-2025-31133 and
// CVE-2025-52565 families). Using descriptors end to end also means no step
// depends on a trustworthy /proc, and mount attributes are set on a detached
// mount before it becomes visible, so a read-only bind is never briefly
// writable. It needs Linux 5.12 (mount_setattr).
//
// The package is called by runtime/'s container init, in order: Prepare,
// PivotRoot, BindConsole (with a terminal), Finalize. It imports no other
// onggi package.
//
// A container whose config lists no mount namespace shares the runtime's,
// so its mounts land in the host's mount table. Its init calls
// PrepareInHost and ChrootRoot instead of Prepare and PivotRoot: the rootfs
// is bound onto itself and made rslave, every mount goes below that bind,
// no host mount's propagation is touched (not even the parent's) and the
// init chroots (pivot_root would move the root of every process of the
// namespace). Finalize then works on the bind, which is the chroot's "/".
// The runtime snapshots the mount IDs before (SnapshotMounts), records what
// appeared at or below the rootfs (MountSnapshot.NewMounts) and takes it
// down on delete or failure (UnmountHost: children first, MNT_DETACH, each
// mount reopened by descriptor and checked by mount ID before unmounting).
package rootfs
