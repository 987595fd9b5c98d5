// Package snapshot keeps image layers unpacked on disk and describes
// container root filesystems built from them as mount data.
//
// Each layer is unpacked once into its own directory keyed by its chain ID
// (so two images sharing a base share its directories) and is never
// written again. A snapshot (a container's rootfs, keyed by the caller) is,
// with the overlay driver, an upper and a work directory plus an overlay
// Mount stacking the layer directories; with the copy driver, a directory
// holding a merged copy of the layers and a bind Mount of it. The driver is
// chosen once per root by test-mounting overlay there (overlay refuses an
// upper dir on overlayfs, e.g. when onggi itself runs in a container), and
// the choice is recorded so later commands agree.
//
// Overlay's mount data must fit in one page. Layer directories are
// therefore named in the mount options through short symlinks
// (<root>/l/<id>); past what even those fit, the bottom layers are merged
// once into a flattened directory keyed by the chain ID they end at.
//
// snapshot never mounts anything for a container: Prepare returns []Mount
// and runtime/ mounts them. It imports image/layer and image/errdefs only.
package snapshot
