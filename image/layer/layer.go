package layer

import (
	"context"
	_ "crypto/sha256" // go-digest hashes only with algorithms the binary links in
	"errors"
	"io"

	digest "github.com/opencontainers/go-digest"
)

// Defaults of the decompression-bomb caps (Options zero values).
const (
	DefaultMaxSize    int64 = 64 << 30 // uncompressed tar bytes per layer
	DefaultMaxEntries       = 4 << 20  // tar entries per layer
)

// OCI whiteout names.
const (
	WhiteoutPrefix = ".wh."
	WhiteoutOpaque = ".wh..wh..opq"
)

// WhiteoutFormat is how deletions are recorded in a layer directory.
type WhiteoutFormat int

const (
	// WhiteoutOverlay: char device 0/0 and trusted.overlay.opaque=y (root).
	WhiteoutOverlay WhiteoutFormat = iota
	// WhiteoutOCI: the tar's .wh.* marker files kept as empty files.
	WhiteoutOCI
)

// Options tune Apply.
type Options struct {
	MaxSize     int64          // cap on uncompressed bytes; 0 = DefaultMaxSize
	MaxEntries  int            // cap on entries; 0 = DefaultMaxEntries
	Whiteouts   WhiteoutFormat // how to store whiteouts
	NoSameOwner bool           // do not chown (non-root); owners become the caller's
	NoDevices   bool           // skip device nodes instead of mknod (non-root)
}

// Result describes an applied layer.
type Result struct {
	DiffID      digest.Digest // sha256 of the uncompressed tar
	Size        int64         // uncompressed tar bytes
	Compression Compression   // what the input was
	Entries     int
}

// ErrTooLarge marks a layer that exceeds the size or entry cap; it also
// wraps errdefs.ErrInvalid.
var ErrTooLarge = errors.New("layer exceeds the decompression cap")

// Apply unpacks the layer read from r into dir (created if missing; usually
// empty), returning the uncompressed digest (the config's diff ID). On
// error dir is left partially written: the caller removes it.
func Apply(ctx context.Context, dir string, r io.Reader, opts Options) (Result, error) {
	return apply(ctx, dir, r, opts)
}

// Diff writes to w the tar of an overlay upper directory: new and changed
// files as they are, whiteout devices and opaque xattrs as .wh. entries.
// lowerDirs (top first) let it skip whiteouts of names that exist in no
// lower layer; nil means keep them all.
func Diff(ctx context.Context, lowerDirs []string, upperDir string, w io.Writer) error {
	return diffUpper(ctx, lowerDirs, upperDir, w)
}

// DiffTrees writes to w the tar that turns tree base into tree next: added
// and changed entries, and .wh. entries for removed ones. It serves the
// copy snapshotter, whose rootfs is a full copy. base "" tars all of next.
func DiffTrees(ctx context.Context, base, next string, w io.Writer) error {
	return diffTrees(ctx, base, next, w)
}

// Tar writes dir as a layer tar (entries relative to dir, sorted, owners
// and modes kept); used by import and the base-image bootstrap.
func Tar(ctx context.Context, dir string, w io.Writer) error {
	return diffTrees(ctx, "", dir, w)
}
