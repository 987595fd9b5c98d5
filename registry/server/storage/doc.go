// Package storage is the registry's filesystem content store: blobs addressed
// by digest, per-repository links to them, manifests, tags, referrers and
// upload sessions, plus the garbage collector that removes unreferenced blobs.
//
// Layout under the root:
//
//	blobs/<alg>/<hex[0:2]>/<hex>                     content, shared by all repositories
//	repositories/<name>/_layers/<alg>/<hex>          the repository may serve this blob
//	repositories/<name>/_manifests/revisions/<alg>/<hex>  JSON: media type, subject
//	repositories/<name>/_manifests/tags/<tag>        the tagged digest
//	repositories/<name>/_referrers/<alg>/<hex>/<alg>-<hex>  referrer descriptor (JSON)
//	uploads/<id>/{meta.json,data,hashstate}          upload sessions in progress
//
// Crash safety: every small file is written to a temporary name, synced and
// renamed into place; upload data is synced and its digest verified before the
// rename that makes it visible under blobs/. A crash leaves at worst a stale
// temporary file or upload directory, which gc removes, never a visible blob
// whose bytes do not match its name.
//
// Concurrency: uploads live in their own directories, so concurrent uploads of
// the same content race only on the final rename, which is atomic. The garbage
// collector never deletes a blob younger than its grace period; pushes refresh
// the modification time of every blob they reference (see GC for the protocol).
//
// This package must build on every OS: it uses only os, path/filepath and the
// go-digest and image-spec types. It imports nothing else from onggi.
package storage
