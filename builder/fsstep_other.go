//go:build !linux

package builder

import (
	"context"
	"errors"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var errNotSupported = errors.New("building images is only supported on Linux")

func (bd *build) mutate(ctx context.Context, st *state, tag string, fn func(rootfs, bundle string) (keepEntry, error)) (*ocispec.Descriptor, digest.Digest, error) {
	return nil, "", errNotSupported
}
