package network

import (
	"fmt"
	"net/netip"
	"time"
)

// EnsurePredefined creates the predefined networks that do not exist yet:
// "bridge" (driver bridge, interface DefaultBridgeName(tag), one IPv4
// subnet from pick with gateway .1), "host" (driver host) and "none"
// (driver null). It is idempotent and safe when several processes call
// it at once: the directory lock makes exactly one of them create each.
// pick is called only when "bridge" must be created, under the store's
// directory lock; it may call List and Get (which take no lock) but not
// Create or Remove, and must not take SubnetLock. Callers hold
// SubnetLock around EnsurePredefined so that pick and the bridge
// creation that follows see each other.
func (s *Store) EnsurePredefined(tag string, pick func() (netip.Prefix, error)) error {
	if s.havePredefined() {
		return nil
	}
	unlock, err := s.lockDir()
	if err != nil {
		return err
	}
	defer unlock()
	for _, name := range []string{NameBridge, NameHost, NameNone} {
		if err := s.ensureOne(name, tag, pick); err != nil {
			return fmt.Errorf("creating predefined network %s: %w", name, err)
		}
	}
	return nil
}

// havePredefined is the lock-free fast path of every command after the
// first.
func (s *Store) havePredefined() bool {
	all, err := s.list()
	if err != nil {
		return false
	}
	found := 0
	for _, n := range all {
		if n.Predefined && IsPredefinedName(n.Name) {
			found++
		}
	}
	return found == 3
}

func (s *Store) ensureOne(name, tag string, pick func() (netip.Prefix, error)) error {
	if _, err := s.get(name); err == nil {
		return nil
	}
	n := &Network{Name: name, Predefined: true, Created: time.Now().UTC()}
	switch name {
	case NameHost:
		n.Driver = DriverHost
	case NameNone:
		n.Driver = DriverNull
	case NameBridge:
		prefix, err := pick()
		if err != nil {
			return err
		}
		n.Driver = DriverBridge
		n.Bridge = DefaultBridgeName(tag)
		n.Subnets = []Subnet{{Prefix: prefix.Masked(), Gateway: prefix.Masked().Addr().Next()}}
		n.Options = map[string]string{
			OptBridgeName:    n.Bridge,
			OptDefaultBridge: "true",
		}
	}
	return s.create(n)
}
