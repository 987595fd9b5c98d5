//go:build !linux

package nft

import (
	"fmt"

	"github.com/onggi/onggi/errdefs"
)

var errNotSupported = fmt.Errorf("nftables: %w: only supported on Linux", errdefs.ErrUnavailable)

func apply(Ruleset) error      { return errNotSupported }
func deleteTable(string) error { return errNotSupported }
