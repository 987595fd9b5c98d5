package reference

import (
	"fmt"
	"path"
	"strings"

	"github.com/onggi/onggi/image/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// IsID reports whether s is a full 64-hex image ID (with or without
// "sha256:"), which docker never reads as a repository name.
func IsID(s string) bool {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// IsZero reports whether r is the zero (invalid) Reference.
func (r Reference) IsZero() bool { return r.path == "" }

// String is the full form: docker.io/library/busybox:latest.
func (r Reference) String() string { return r.withSuffix(r.Name()) }

// Familiar is the short form docker prints: busybox:latest,
// localhost:5000/a/b@sha256:….
func (r Reference) Familiar() string { return r.withSuffix(r.FamiliarName()) }

func (r Reference) withSuffix(name string) string {
	if r.tag != "" {
		name += ":" + r.tag
	}
	if r.digest != "" {
		name += "@" + string(r.digest)
	}
	return name
}

// Name is the full repository name: docker.io/library/busybox.
func (r Reference) Name() string {
	if r.domain == "" {
		return r.path
	}
	return r.domain + "/" + r.path
}

// FamiliarName is the short repository name: busybox. Docker Hub drops its
// domain, and "library/" when nothing is nested below it.
func (r Reference) FamiliarName() string {
	if r.domain != defaultDomain {
		return r.Name()
	}
	if rest, ok := strings.CutPrefix(r.path, officialRepo); ok && !strings.Contains(rest, "/") {
		return rest
	}
	return r.path
}

// Domain is the registry host: docker.io, localhost:5000.
func (r Reference) Domain() string { return r.domain }

// Path is the repository path within the registry: library/busybox.
func (r Reference) Path() string { return r.path }

// Tag is the tag, or "" when there is none.
func (r Reference) Tag() string { return r.tag }

// Digest is the digest, or "" when there is none.
func (r Reference) Digest() digest.Digest { return r.digest }

// NameOnly is the repository without tag or digest.
func (r Reference) NameOnly() Reference { return Reference{domain: r.domain, path: r.path} }

// WithTag is the repository of r with tag (any digest dropped).
func (r Reference) WithTag(tag string) (Reference, error) {
	if !isTag(tag) {
		return Reference{}, fmt.Errorf("tag %q: %w: %s", tag, errdefs.ErrInvalid, errTagFormat)
	}
	if r.IsZero() {
		return Reference{}, fmt.Errorf("tag %q: %w: %s", tag, errdefs.ErrInvalid, errFormat)
	}
	return Reference{domain: r.domain, path: r.path, tag: tag}, nil
}

// WithDigest is the repository of r pinned to d (any tag dropped). Like
// docker, only the digest's syntax is checked here, not its algorithm.
func (r Reference) WithDigest(d digest.Digest) (Reference, error) {
	if !isDigest(string(d)) {
		return Reference{}, fmt.Errorf("digest %q: %w: %s", d, errdefs.ErrInvalid, errDigestFormat)
	}
	if r.IsZero() {
		return Reference{}, fmt.Errorf("digest %q: %w: %s", d, errdefs.ErrInvalid, errFormat)
	}
	return Reference{domain: r.domain, path: r.path, digest: d}, nil
}

// Familiar turns a full reference string into docker's display form; a
// string that does not parse is returned unchanged (e.g. "<none>").
func Familiar(s string) string {
	r, err := parseNormalized(s)
	if err != nil {
		return s
	}
	return r.Familiar()
}

// Match reports whether r matches a docker `reference=` filter pattern:
// path.Match globbing on the familiar form or the familiar name, as
// docker's FamiliarMatch (a malformed pattern matches nothing).
func Match(pattern string, r Reference) bool {
	if ok, _ := path.Match(pattern, r.Familiar()); ok {
		return true
	}
	ok, _ := path.Match(pattern, r.FamiliarName())
	return ok
}
