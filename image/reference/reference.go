// Package reference parses and normalises image references the way Docker
// does: `busybox` is `docker.io/library/busybox:latest`, `localhost:5000/a/b`
// keeps its registry, and a digest pins content. It wraps
// github.com/distribution/reference (the library docker itself uses) behind
// one value type, so callers never juggle its Named/Tagged/Canonical
// interfaces, and classifies every failure as errdefs.ErrInvalid.
package reference

import (
	"errors"
	"fmt"
	"strings"

	dref "github.com/distribution/reference"
	"github.com/onggi/onggi/image/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// DefaultTag is the tag a reference without tag or digest gets.
const DefaultTag = "latest"

// Reference is a normalised, fully qualified image reference. The zero
// value is invalid; build one with Parse, ParseName or WithTag/WithDigest.
type Reference struct {
	named dref.Named
}

// Parse normalises s. A reference with neither tag nor digest gets
// ":latest"; one with both keeps both (docker pulls by the digest then).
// A bare 64-hex string is refused: it is an image ID, not a name.
func Parse(s string) (Reference, error) {
	r, err := ParseName(s)
	if err != nil {
		return Reference{}, err
	}
	return Reference{named: dref.TagNameOnly(r.named)}, nil
}

// ParseName normalises s without adding a default tag (`busybox` stays
// `docker.io/library/busybox`), for filters and repository-wide operations.
func ParseName(s string) (Reference, error) {
	if s == "" {
		return Reference{}, fmt.Errorf("reference %q: %w: empty", s, errdefs.ErrInvalid)
	}
	if IsID(s) {
		return Reference{}, fmt.Errorf("reference %q: %w: cannot be a 64-byte hexadecimal string (that is an image ID)", s, errdefs.ErrInvalid)
	}
	n, err := dref.ParseNormalizedNamed(s)
	if err != nil {
		msg := explain(err)
		if _, lerr := dref.ParseNormalizedNamed(strings.ToLower(s)); lerr == nil {
			msg = "repository name must be lowercase"
		}
		return Reference{}, fmt.Errorf("reference %q: %w: %s", s, errdefs.ErrInvalid, msg)
	}
	return Reference{named: n}, nil
}

// explain turns the library's terse errors into docker's wording.
func explain(err error) string {
	switch {
	case errors.Is(err, dref.ErrNameContainsUppercase):
		return "repository name must be lowercase"
	case errors.Is(err, dref.ErrNameTooLong):
		return fmt.Sprintf("repository name must not be more than %d characters", dref.NameTotalLengthMax)
	case errors.Is(err, dref.ErrDigestInvalidFormat):
		return "invalid digest format"
	case errors.Is(err, dref.ErrTagInvalidFormat):
		return "invalid tag format"
	default:
		return "invalid reference format"
	}
}

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
func (r Reference) IsZero() bool { return r.named == nil }

// String is the full form: docker.io/library/busybox:latest.
func (r Reference) String() string {
	if r.named == nil {
		return ""
	}
	return r.named.String()
}

// Familiar is the short form docker prints: busybox:latest,
// localhost:5000/a/b@sha256:….
func (r Reference) Familiar() string {
	if r.named == nil {
		return ""
	}
	return dref.FamiliarString(r.named)
}

// Name is the full repository name: docker.io/library/busybox.
func (r Reference) Name() string {
	if r.named == nil {
		return ""
	}
	return r.named.Name()
}

// FamiliarName is the short repository name: busybox.
func (r Reference) FamiliarName() string {
	if r.named == nil {
		return ""
	}
	return dref.FamiliarName(r.named)
}

// Domain is the registry host: docker.io, localhost:5000.
func (r Reference) Domain() string {
	if r.named == nil {
		return ""
	}
	return dref.Domain(r.named)
}

// Path is the repository path within the registry: library/busybox.
func (r Reference) Path() string {
	if r.named == nil {
		return ""
	}
	return dref.Path(r.named)
}

// Tag is the tag, or "" when there is none.
func (r Reference) Tag() string {
	if t, ok := r.named.(dref.Tagged); ok {
		return t.Tag()
	}
	return ""
}

// Digest is the digest, or "" when there is none.
func (r Reference) Digest() digest.Digest {
	if d, ok := r.named.(dref.Digested); ok {
		return d.Digest()
	}
	return ""
}

// NameOnly is the repository without tag or digest.
func (r Reference) NameOnly() Reference {
	if r.named == nil {
		return r
	}
	return Reference{named: dref.TrimNamed(r.named)}
}

// WithTag is the repository of r with tag (any digest dropped).
func (r Reference) WithTag(tag string) (Reference, error) {
	t, err := dref.WithTag(dref.TrimNamed(r.named), tag)
	if err != nil {
		return Reference{}, fmt.Errorf("tag %q: %w: %s", tag, errdefs.ErrInvalid, explain(err))
	}
	return Reference{named: t}, nil
}

// WithDigest is the repository of r pinned to d (any tag dropped).
func (r Reference) WithDigest(d digest.Digest) (Reference, error) {
	c, err := dref.WithDigest(dref.TrimNamed(r.named), d)
	if err != nil {
		return Reference{}, fmt.Errorf("digest %q: %w: %s", d, errdefs.ErrInvalid, explain(err))
	}
	return Reference{named: c}, nil
}

// Familiar turns a full reference string into docker's display form; a
// string that does not parse is returned unchanged (e.g. "<none>").
func Familiar(s string) string {
	n, err := dref.ParseNormalizedNamed(s)
	if err != nil {
		return s
	}
	return dref.FamiliarString(n)
}

// Match reports whether r matches a docker `reference=` filter pattern
// (path.Match globbing on the familiar and full forms, as docker does).
func Match(pattern string, r Reference) bool {
	ok, err := dref.FamiliarMatch(pattern, r.named)
	if err == nil && ok {
		return true
	}
	ok, _ = dref.FamiliarMatch(pattern, dref.TrimNamed(r.named))
	return ok
}
