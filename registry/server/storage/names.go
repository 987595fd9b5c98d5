package storage

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"

	_ "crypto/sha256" // registers sha256 with go-digest
	_ "crypto/sha512" // registers sha512 with go-digest
)

// The grammar from the distribution spec. Because every path component must
// start and end with [a-z0-9], names can never contain "..", "." alone,
// a leading "_" or a backslash: they are safe to join into filesystem paths.
//
// They compile on first use, not at package init: every onggi process links
// this package, including the container init on the start path (DESIGN.md).
var (
	nameRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	})
	tagRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`) })
)

// MaxNameLength bounds repository names (the spec's 255 for host plus name).
const MaxNameLength = 255

// ValidateName reports whether name is a valid repository name.
func ValidateName(name string) error {
	if len(name) == 0 || len(name) > MaxNameLength || !nameRE().MatchString(name) {
		return fmt.Errorf("%w: %q", ErrNameInvalid, name)
	}
	return nil
}

// ValidateTag reports whether tag is a valid tag.
func ValidateTag(tag string) error {
	if !tagRE().MatchString(tag) {
		return fmt.Errorf("%w: %q", ErrTagInvalid, tag)
	}
	return nil
}

// ParseDigest parses s as a digest whose algorithm this store supports
// (sha256, sha512).
func ParseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %w", ErrDigestInvalid, s, err)
	}
	switch d.Algorithm() {
	case digest.SHA256, digest.SHA512:
		return d, nil
	}
	return "", fmt.Errorf("%w: %q: unsupported algorithm", ErrDigestInvalid, s)
}

// IsDigest reports whether ref looks like a digest rather than a tag (tags
// cannot contain ':').
func IsDigest(ref string) bool { return strings.Contains(ref, ":") }
