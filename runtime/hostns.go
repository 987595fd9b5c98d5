package runtime

import (
	"fmt"

	"github.com/onggi/onggi/runtime/rootfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A namespace type the config does not list is inherited from the runtime
// (runtime-spec, "Namespaces"). Most of that needs nothing special: without
// CLONE_NEWPID the init is an ordinary child, without CLONE_NEWNET it uses
// the host's network. The mount namespace does: the container's mounts then
// land in the runtime's own mount table. runc leaves them there after
// delete; onggi keeps track of them:
//
//   - the init binds the rootfs onto itself, mounts below that bind only,
//     changes no host mount's propagation and chroots (rootfs.PrepareInHost,
//     rootfs.ChrootRoot);
//   - Create snapshots the mount IDs before the init starts and records in
//     state.json every mount that appeared at or below the rootfs once the
//     init is ready (savedState.HostMounts);
//   - Delete, and a failed Create's cleanup (from the snapshot, so mounts of
//     an init that died midway are found too), unmount them children first
//     with MNT_DETACH (rootfs.UnmountHost).

// sharesMountNS reports whether the container lists no mount namespace and
// so lives in the runtime's. One joined by path is a mount namespace of its
// own and set up as usual.
func sharesMountNS(spec *specs.Spec) bool {
	if spec.Linux == nil {
		return true
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.MountNamespace {
			return false
		}
	}
	return true
}

// snapshotHostMounts remembers the runtime's mounts before the init of a
// container sharing its mount namespace starts.
func (c *create) snapshotHostMounts() error {
	if !sharesMountNS(c.spec) {
		return nil
	}
	snap, err := rootfs.SnapshotMounts()
	if err != nil {
		return fmt.Errorf("listing the runtime's mounts: %w", err)
	}
	c.hostSnap = snap
	return nil
}

// recordHostMounts lists, once the init is ready, what it mounted.
func (c *create) recordHostMounts() error {
	if c.hostSnap == nil {
		return nil
	}
	ms, err := c.hostSnap.NewMounts(c.rootfs)
	if err != nil {
		return fmt.Errorf("listing the container's mounts: %w", err)
	}
	c.st.HostMounts = ms
	return nil
}

// unmountHostMounts undoes a failed Create's mounts; the init is dead by
// now, so nothing is added while we look.
func (c *create) unmountHostMounts() error {
	if c.hostSnap == nil {
		return nil
	}
	ms, err := c.hostSnap.NewMounts(c.rootfs)
	if err == nil {
		err = rootfs.UnmountHost(c.rootfs, ms)
	}
	return err
}

// unmountRecorded takes down the mounts a container sharing the runtime's
// mount namespace got (none for any other container).
func unmountRecorded(st *savedState) error {
	if err := rootfs.UnmountHost(st.Rootfs, st.HostMounts); err != nil {
		return fmt.Errorf("deleting %s: mounts: %w", st.ID, err)
	}
	return nil
}
