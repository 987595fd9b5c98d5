// Package reference parses and normalises image references the way Docker
// does: `busybox` is `docker.io/library/busybox:latest`, `localhost:5000/a/b`
// keeps its registry, and a digest pins content. One value type stands for
// every form, so callers never juggle Named/Tagged/Canonical interfaces, and
// every failure is errdefs.ErrInvalid.
//
// The grammar and normalisation are those of github.com/distribution/reference
// (what docker uses), reimplemented here (grammar.go) because that library
// compiles its regexps at package init, a cost every onggi process paid at
// start. equivalence_test.go holds this package to the library's behaviour.
package reference

import (
	"errors"
	"fmt"
	"strings"

	"github.com/onggi/onggi/image/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// DefaultTag is the tag a reference without tag or digest gets.
const DefaultTag = "latest"

const (
	nameMax       = 255 // repository path length limit, as docker's
	defaultDomain = "docker.io"
	legacyDomain  = "index.docker.io"
	officialRepo  = "library/"
)

// Docker's wording for each kind of failure.
var (
	errFormat       = errors.New("invalid reference format")
	errUppercase    = errors.New("repository name must be lowercase")
	errTooLong      = errors.New("repository name must not be more than 255 characters") // nameMax; a constant keeps init free
	errTagFormat    = errors.New("invalid tag format")
	errDigestFormat = errors.New("invalid digest format")
)

// Reference is a normalised, fully qualified image reference. The zero
// value is invalid; build one with Parse, ParseName or WithTag/WithDigest.
// domain is "" only for names docker itself leaves domain-less (a first
// element like "foo_bar.com" that is a valid path but not a valid host).
type Reference struct {
	domain, path, tag string
	digest            digest.Digest
}

// Parse normalises s. A reference with neither tag nor digest gets
// ":latest"; one with both keeps both (docker pulls by the digest then).
// A bare 64-hex string is refused: it is an image ID, not a name.
func Parse(s string) (Reference, error) {
	r, err := ParseName(s)
	if err == nil && r.tag == "" && r.digest == "" {
		r.tag = DefaultTag
	}
	return r, err
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
	r, err := parseNormalized(s)
	if err != nil {
		msg := explain(err)
		if _, lerr := parseNormalized(strings.ToLower(s)); lerr == nil {
			msg = errUppercase.Error()
		}
		return Reference{}, fmt.Errorf("reference %q: %w: %s", s, errdefs.ErrInvalid, msg)
	}
	return r, nil
}

// explain is the docker wording for a parse failure.
func explain(err error) string {
	switch err {
	case errUppercase, errTooLong, errDigestFormat, errTagFormat:
		return err.Error()
	default:
		return errFormat.Error()
	}
}

// parseNormalized is docker's ParseNormalizedNamed: expand the familiar
// form (default domain, "library/"), then parse the full reference.
func parseNormalized(s string) (Reference, error) {
	if len(s) == 64 && IsID(s) {
		return Reference{}, errFormat
	}
	domain, remainder := splitDockerDomain(s)
	if remote, _, _ := strings.Cut(remainder, ":"); strings.ToLower(remote) != remote {
		return Reference{}, errFormat
	}
	full := domain + "/" + remainder
	d, p, tag, dgst, ok := splitRef(full)
	switch {
	case !ok:
		if _, _, _, _, ok := splitRef(strings.ToLower(full)); ok {
			return Reference{}, errUppercase
		}
		return Reference{}, errFormat
	case len(p) > nameMax:
		return Reference{}, errTooLong
	}
	if dgst != "" {
		if _, err := digest.Parse(dgst); err != nil {
			return Reference{}, errFormat
		}
	}
	return Reference{domain: d, path: p, tag: tag, digest: digest.Digest(dgst)}, nil
}

// splitDockerDomain picks the registry the way docker does: the first
// element is a registry only if it is "localhost", has a '.' or ':', or
// has uppercase (never valid in a path); otherwise it is Docker Hub, where
// single-element names live under "library/".
func splitDockerDomain(name string) (domain, remainder string) {
	first, rest, ok := strings.Cut(name, "/")
	switch {
	case !ok:
		return defaultDomain, officialRepo + name
	case first == "localhost":
		domain, remainder = first, rest
	case first == legacyDomain:
		domain, remainder = defaultDomain, rest
	case strings.ContainsAny(first, ".:") || strings.ToLower(first) != first:
		domain, remainder = first, rest
	default:
		domain, remainder = defaultDomain, name
	}
	if domain == defaultDomain && !strings.ContainsRune(remainder, '/') {
		remainder = officialRepo + remainder
	}
	return domain, remainder
}
