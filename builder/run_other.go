//go:build !linux

package builder

import "context"

func (bd *build) runContainer(ctx context.Context, rs runSpec, rootfs, bundle string, v *vertex) (keepEntry, error) {
	return nil, errNotSupported
}

func (bd *build) view(ctx context.Context, st *state, dir string) (func(), error) {
	return nil, errNotSupported
}
