package fscopy

import (
	digest "github.com/opencontainers/go-digest"
)

// Source is where COPY/ADD read from.
type Source struct {
	// Root is the directory sources are resolved in: the build context or
	// a mounted stage/image root filesystem (COPY --from).
	Root string
	// Ignore reports whether a path (slash-separated, relative to Root) is
	// excluded (.dockerignore); excluded paths are invisible. nil: none.
	Ignore func(rel string) bool
	// SkipDir optionally reports that a directory and everything below it
	// is excluded, so walks need not descend into it. nil: descend always.
	SkipDir func(rel string) bool
	// Context marks the build context: owners are not kept (files are
	// written 0:0 unless --chown, as docker does for context files) and a
	// source path leaving Root is an error. For stage/image roots (false)
	// owners are kept and such paths are clamped to Root, as BuildKit does.
	Context bool
	// Digests optionally memoizes file digests across builds (see
	// DigestCache); nil hashes every file each time.
	Digests *DigestCache
}

// Options describe one COPY or ADD instruction.
type Options struct {
	// Srcs are the source paths as written in the Dockerfile (relative to
	// Source.Root; a leading "/" means the same). Wildcards follow
	// filepath.Match per path component. With ExtractTar, http(s) URLs are
	// allowed too.
	Srcs []string
	// Dest is absolute in the container, already resolved against WORKDIR
	// by the caller. A trailing "/" (or "/.") makes it a directory.
	Dest string
	// Chown is "user[:group]": names are resolved in DestRoot's /etc/passwd
	// and /etc/group, numbers taken as they are. A user alone takes the
	// user's primary group (a numeric uid alone: gid = uid). "" keeps the
	// default (0:0 for context files, source owners for stage files).
	Chown string
	// Chmod is an octal mode ("755", "0644") applied to every copied file
	// and directory. "" keeps source modes.
	Chmod string
	// Parents keeps the source paths' parent directories below Dest
	// (COPY --parents); a "/./" in a source marks where the kept part
	// starts.
	Parents bool
	// Link is COPY --link. Accepted: within a single-snapshot layer its
	// result is the same as a normal copy.
	Link bool
	// ExtractTar selects ADD semantics: local tar archives (plain, gzip,
	// bzip2, xz, zstd) are extracted into Dest instead of copied, and
	// http(s) URL sources are downloaded (never extracted; mode 0600).
	ExtractTar bool
	// ExcludePatterns are COPY --exclude patterns (patternmatcher syntax,
	// matched against source paths relative to Root).
	ExcludePatterns []string
	// Instruction names the instruction in error messages: "COPY"
	// (default) or "ADD".
	Instruction string
}

// Copy performs the COPY/ADD o from src into the root filesystem destRoot.
// A wildcard matching nothing copies nothing (BuildKit's rule, which makes
// "COPY package.json yarn.lock* ./" work without a lock file).
// Errors: a missing source wraps errdefs.ErrNotFound ("failed to compute
// cache key: "/x": not found"), an invalid request (several sources and a
// dest without "/", a path outside the context, a bad --chown/--chmod, a
// URL for COPY) errdefs.ErrInvalid, an unreachable URL
// errdefs.ErrUnavailable ("failed to download <url>: …").
func Copy(destRoot string, src Source, o Options) error {
	return copyAll(destRoot, src, o)
}

// Checksum returns the cache key of the content o would copy from src:
// it changes when a copied path, type, mode, owner, symlink target, hard
// link or file content changes — or when the instruction's options do —
// and never because of modification times. --chown names are hashed as
// written: the caller's key covers the parent image, hence its
// /etc/passwd. URL sources are downloaded to hash their content.
func Checksum(src Source, o Options) (digest.Digest, error) {
	return checksum(src, o)
}
