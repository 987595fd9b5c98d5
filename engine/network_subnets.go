package engine

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/network"
)

// subnetClaimDir holds one file per subnet an onggi instance's networks
// use ("10.89.3.0_24", content: the instance's root). The host's routes
// show only the subnets whose bridge exists: an idle instance's default
// bridge is deleted (gcNetworks) and every bridge is gone after a reboot,
// while the networks keep their subnets. Claims keep another instance
// from picking one meanwhile. A variable for tests.
var subnetClaimDir = "/run/lock/onggi-subnets.d"

func subnetClaimPath(p netip.Prefix) string {
	return filepath.Join(subnetClaimDir, strings.ReplaceAll(p.Masked().String(), "/", "_"))
}

// claimSubnets claims n's subnets for this instance. A subnet another
// live instance claimed is errdefs.ErrConflict; a claim whose instance
// has no network with that subnet any more is stale and taken over.
func (e *Engine) claimSubnets(n *network.Network) error {
	for _, sn := range n.Subnets {
		if err := e.claimSubnet(sn.Prefix); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) claimSubnet(p netip.Prefix) error {
	path := subnetClaimPath(p)
	for try := 0; try < 3; try++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = f.WriteString(e.root)
			f.Close()
			return err
		}
		if errors.Is(err, fs.ErrNotExist) {
			if os.MkdirAll(subnetClaimDir, 0o755) != nil {
				return nil // no claims possible: routes alone decide
			}
			continue
		}
		owner, rerr := os.ReadFile(path)
		switch {
		case rerr != nil:
			continue // released meanwhile
		case string(owner) == e.root:
			return nil
		case usesSubnet(string(owner), p):
			return classed(errdefs.ErrConflict, "subnet %s is used by another onggi instance (%s)", p, owner)
		}
		_ = os.Remove(path)
	}
	return nil
}

// usesSubnet reports whether the instance at root has a network on p.
func usesSubnet(root string, p netip.Prefix) bool {
	dir := filepath.Join(root, "networks")
	if _, err := os.Stat(dir); err != nil {
		return false
	}
	s, err := network.Open(dir)
	if err != nil {
		return true // cannot tell: respect the claim
	}
	all, err := s.List()
	if err != nil {
		return true
	}
	return network.Overlaps(p, all)
}

// claimedSubnets are the subnets other instances claim (pickSubnet avoids
// them). A claim whose instance is gone (its root's networks directory no
// longer exists: a deleted temporary root, say) is removed on the way, or
// such claims would pile up until a reboot and push every pick further
// out; a stale claim of a live instance costs only a subnet skipped.
func (e *Engine) claimedSubnets() []netip.Prefix {
	ents, err := os.ReadDir(subnetClaimDir)
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for _, de := range ents {
		p, err := netip.ParsePrefix(strings.ReplaceAll(de.Name(), "_", "/"))
		if err != nil {
			continue
		}
		path := filepath.Join(subnetClaimDir, de.Name())
		if owner, err := os.ReadFile(path); err == nil && instanceGone(string(owner)) {
			_ = os.Remove(path)
			continue
		}
		out = append(out, p)
	}
	return out
}

// instanceGone reports whether the onggi instance at root no longer exists.
func instanceGone(root string) bool {
	_, err := os.Stat(filepath.Join(root, "networks"))
	return errors.Is(err, fs.ErrNotExist)
}

// releaseSubnets drops this instance's claims of a removed network.
func (e *Engine) releaseSubnets(n *network.Network) {
	for _, sn := range n.Subnets {
		path := subnetClaimPath(sn.Prefix)
		if owner, err := os.ReadFile(path); err == nil && string(owner) == e.root {
			_ = os.Remove(path)
		}
	}
}
