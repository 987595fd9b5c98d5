// Package image is onggi's image store: content-addressed blobs, image
// metadata (names, tags, digests), manifests and configs, safe layer
// application and overlay snapshots, all kept under one root directory
// (`<onggi --root>/image`).
//
// The Store type is the façade the engine and the CLI use. Its building
// blocks are subpackages usable on their own:
//
//   - content:   the blob store (sha256, verified, temp → fsync → rename)
//   - reference: Docker-style reference normalisation
//   - manifest:  OCI and Docker schema 2 manifests/indexes, platforms
//   - layer:     safe tar application (whiteouts, no escapes) and diffs
//   - snapshot:  per-layer directories shared by images, overlay or copy
//     mounts described as data
//   - errdefs:   the error classes (re-exported here)
//
// On disk (root = <onggi --root>/image):
//
//	blobs/sha256/<hex>     content, immutable once renamed into place
//	ingest/                temp files of in-flight writes (GC clears them)
//	images.json            names → image ID and image records (atomic rewrite)
//	snapshots/             layer dirs, short links, active container snapshots
//	*.lock                 flock(2) files serialising writers across processes
//
// image/ imports no other onggi subsystem and never calls mount(2) for a
// container: snapshots are returned as []snapshot.Mount for runtime/ to
// mount. Linux-only code sits behind _linux.go / _other.go files.
package image
