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
//   - layer:     safe tar application (whiteouts, no escapes), diffs, Tar
//   - snapshot:  per-layer directories shared by images, overlay or copy
//     snapshots described as mount data
//   - errdefs:   the error classes (re-exported here)
//
// Typical flows:
//
//	load/import/pull/commit/build:
//	    lease := s.Lease(ctx)           // holds off GC
//	    s.Content().Write / Ingest, or s.WriteLayer(ctx, c, producer)
//	    s.Put(ctx, manifestDesc, names...) or s.Create(ctx, opts, names...)
//	    lease.Unlock()
//	run:    mounts, _ := s.Prepare(ctx, containerID, img)  // runtime mounts them
//	commit: s.WriteLayer(ctx, layer.Gzip, func(w) { s.Snapshots().Diff(ctx, id, w) })
//	rm:     s.Snapshots().Remove(ctx, containerID)
//	rmi/prune/system df: s.Remove, s.Prune, s.GC, s.DiskUsage
//
// On disk (root = <onggi --root>/image):
//
//	blobs/sha256/<hex>     content, immutable once renamed into place
//	ingest/                temp files of in-flight writes (GC clears them)
//	images.json            names → image ID and image records (atomic rewrite)
//	snapshots/             layers/<chain>, flat/<chain>, l/<short links>,
//	                       active/<key>, tmp/, locks/, driver
//	gc.lock, metadata.lock flock(2) files serialising writers across processes
//
// Concurrency and crashes: every file that readers trust is renamed into
// place complete (blobs, images.json, layer and snapshot directories), and
// cross-process exclusion uses flock(2), which the kernel drops when a
// process dies; so kill -9 at any instant leaves at worst garbage in
// ingest/ or snapshots/tmp, which GC removes.
//
// image/ imports no other onggi subsystem and never calls mount(2) for a
// container: snapshots are returned as []snapshot.Mount for runtime/ to
// mount (the snapshotter's one-time overlay probe is the only mount it
// makes). Linux-only code sits behind _linux.go / _other.go files.
package image
