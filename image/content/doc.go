// Package content is a content-addressed blob store: blobs named by their
// sha256 digest under <root>/blobs/sha256/<hex>.
//
// Every write streams into a temp file under <root>/ingest, verifies digest
// and size, fsyncs, and renames into place, so a blob that exists is always
// complete and correct; a killed writer leaves only an ingest temp file that
// CleanIngest (the store's GC) removes. Writers of the same digest in
// several processes race harmlessly: the renames carry identical bytes.
//
// Writers hold a shared "gc" lock while writing (and callers can extend it
// with Lease across a write and the metadata update that references the
// blob); garbage collection takes it exclusively, so it never deletes a blob
// between its write and its first reference.
//
// content imports only image/errdefs and image/internal.
package content
