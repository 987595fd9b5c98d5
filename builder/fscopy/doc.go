// Package fscopy performs the file operations of the Dockerfile COPY and
// ADD instructions on a root filesystem directory, with Docker's (BuildKit's)
// semantics, and computes the content checksum that keys the build cache.
//
// Sources are read from a Source: the build context (with .dockerignore'd
// paths invisible) or another stage's / image's root filesystem (--from).
// Source paths are resolved inside Source.Root: a context source naming a
// path outside it ("../x") is refused with "forbidden path outside the build
// context"; symlinks among the source path's components are followed but
// never out of the root.
//
// The destination is written inside destRoot only: every parent directory
// is resolved with filepath-securejoin (absolute symlinks in the image are
// taken relative to destRoot) and entries are created with *at system calls
// relative to a directory file descriptor, never following a final
// symlink, so an image symlink such as /app -> /etc cannot make COPY write
// on the host.
//
// Semantics follow BuildKit where the classic builder and BuildKit differ:
// a wildcard matching nothing copies nothing; --chown by name takes the
// user's primary group; --chmod accepts octal and chmod(1)'s symbolic
// form; a destination directory COPY creates takes the source directory's
// metadata; context files are written 0:0, stage files keep their owners;
// extended attributes are copied (never trusted.overlay.*); ADD --chown
// also owns the entries of an extracted archive. Unlike BuildKit, an
// unknown --chown user is an error, not silently root.
//
// Checksum hashes what a copy will write — destination-relative paths,
// file types, modes, owners, xattrs, symlink targets, hard-link structure
// and file contents — and never modification times, so touching a file
// alone does not invalidate the cache. A DigestCache memoizes file digests
// across builds, validated by inode, size, mtime and ctime.
//
// fscopy imports image/layer (safe tar extraction for ADD) and errdefs;
// nothing of the builder, engine or CLI.
package fscopy
