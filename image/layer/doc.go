// Package layer applies image layer tars to a directory, safely, and turns
// directories back into layer tars.
//
// Apply reads uncompressed, gzip or zstd tars (detected from the magic
// bytes) in one pass with decompression on its own goroutine, and resolves
// every path inside the target directory through an os.Root, so no entry
// can create, link, chmod or chown anything outside it: absolute names, ".."
// escapes, writes through a symlink (to outside or as a parent), hard links
// to outside are refused with an error wrapping errdefs.ErrInvalid. Sizes
// and entry counts are capped against decompression bombs.
//
// Whiteouts are stored in the directory in one of two formats: overlayfs's
// (character device 0/0 for a deleted name, trusted.overlay.opaque=y on an
// opaque directory), so a layer directory is directly an overlay lowerdir,
// or OCI's (the .wh. marker files kept as empty regular files) for the copy
// snapshotter on filesystems where the overlay format cannot be written.
//
// layer imports only image/errdefs.
package layer
