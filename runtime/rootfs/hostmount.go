package rootfs

// HostMount is one mount a container without a mount namespace got in the
// runtime's namespace, as recorded in its state.
type HostMount struct {
	ID     int    `json:"id"`     // mount ID (mountinfo field 1, statx STATX_MNT_ID)
	Parent int    `json:"parent"` // parent's mount ID
	Path   string `json:"path"`   // mount point inside the rootfs, "/" for the rootfs bind
}

// MountSnapshot is the set of mount IDs of the caller's mount namespace at
// one moment, taken before a container sharing it is set up.
type MountSnapshot map[int]bool
