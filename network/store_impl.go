package network

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/onggi/onggi/errdefs"
)

const (
	locksDir = ".locks"
	dirLock  = ".lock"
	ext      = ".json"
)

// validNameRe is docker's rule for object names.
var validNameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidateName checks a network name against docker's rule
// ([a-zA-Z0-9][a-zA-Z0-9_.-]*); the failure is ErrInvalid.
func ValidateName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errdefs.Errorf(errdefs.ErrInvalid, "network name cannot be empty")
	}
	if !validNameRe.MatchString(name) {
		return errdefs.Errorf(errdefs.ErrInvalid, "invalid network name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	return nil
}

// validID accepts what can be a record's file name: lower-case hex, as
// generateID makes.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func generateID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux ≥ 3.17
	}
	return hex.EncodeToString(b[:])
}

func (s *Store) path(id string) string { return filepath.Join(s.dir, id+ext) }

func (s *Store) lockDir() (func(), error) { return lockFile(filepath.Join(s.dir, dirLock)) }

// create stores n; the caller holds the directory lock.
func (s *Store) create(n *Network) error {
	all, err := s.list()
	if err != nil {
		return err
	}
	if err := checkUnique(n, all); err != nil {
		return err
	}
	for {
		n.ID = generateID()
		// A full id must never be a prefix clash of its own short id with
		// another network's; with 256 random bits this loop runs once.
		if !slices.ContainsFunc(all, func(o *Network) bool { return o.ID[:12] == n.ID[:12] }) {
			break
		}
	}
	if n.Created.IsZero() {
		n.Created = time.Now().UTC()
	}
	if n.Driver == DriverBridge && n.Bridge == "" {
		n.Bridge = UserBridgeName(n.ID)
	}
	if err := s.write(n); err != nil {
		return fmt.Errorf("creating network %s: %w", n.Name, err)
	}
	return nil
}

// checkUnique refuses a name, bridge interface or subnet another
// network of this store already has, under the directory lock so two
// concurrent creates cannot both pass.
func checkUnique(n *Network, all []*Network) error {
	if n.Driver == "" {
		n.Driver = DriverBridge
	}
	if n.Driver == DriverBridge && n.Bridge == "" && n.Options[OptBridgeName] != "" {
		n.Bridge = n.Options[OptBridgeName]
	}
	for _, o := range all {
		if o.Name == n.Name {
			return errdefs.Errorf(errdefs.ErrExists, "network with name %s already exists", n.Name)
		}
	}
	for _, o := range all {
		if n.Bridge != "" && o.Bridge == n.Bridge {
			return errdefs.Errorf(errdefs.ErrConflict, "conflicts with network %s (%s) by bridge name", o.ShortID(), o.Name)
		}
		for _, sub := range n.Subnets {
			if Overlaps(sub.Prefix, []*Network{o}) {
				return errdefs.Errorf(errdefs.ErrConflict, "invalid pool request: Pool overlaps with other one on this address space")
			}
		}
	}
	return nil
}

func (s *Store) read(id string) (*Network, error) {
	b, err := os.ReadFile(s.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading network %s: %w", id, err)
	}
	var n Network
	if err := json.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("reading network %s: %w", id, err)
	}
	return &n, nil
}

// write replaces the record atomically: a temporary file, fsync, rename,
// fsync of the directory, so a crash leaves the old or the new record.
func (s *Store) write(n *Network) error {
	b, err := json.MarshalIndent(n, "", "\t")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path(n.ID), b)
}

func writeFileAtomic(path string, b []byte) (retErr error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (s *Store) list() ([]*Network, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("listing networks: %w", err)
	}
	var out []*Network
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ext)
		if !ok || !validID(id) {
			continue
		}
		n, err := s.read(id)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue // removed while we listed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b *Network) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// get resolves ref as docker's FindNetwork: full id, then name, then
// unique id prefix.
func (s *Store) get(ref string) (*Network, error) {
	if ref == "" {
		return nil, notFound(ref)
	}
	if len(ref) == 64 && validID(ref) {
		if n, err := s.read(ref); err == nil || !errors.Is(err, errdefs.ErrNotFound) {
			return n, err
		}
	}
	all, err := s.list()
	if err != nil {
		return nil, err
	}
	for _, n := range all {
		if n.Name == ref {
			return n, nil
		}
	}
	var match []*Network
	for _, n := range all {
		if strings.HasPrefix(n.ID, ref) {
			match = append(match, n)
		}
	}
	switch len(match) {
	case 0:
		return nil, notFound(ref)
	case 1:
		return match[0], nil
	}
	return nil, errdefs.Errorf(errdefs.ErrInvalid, "network %s is ambiguous (%d matches found based on ID prefix)", ref, len(match))
}

func (s *Store) update(ref string, fn func(*Network) error) (*Network, error) {
	n, err := s.get(ref)
	if err != nil {
		return nil, err
	}
	id, name := n.ID, n.Name
	n.Labels, n.Options = maps.Clone(n.Labels), maps.Clone(n.Options)
	if err := fn(n); err != nil {
		return nil, err
	}
	n.ID, n.Name = id, name
	if err := s.write(n); err != nil {
		return nil, fmt.Errorf("updating network %s: %w", name, err)
	}
	return n, nil
}

// remove deletes the record, then its lock file; the caller holds the
// directory lock.
func (s *Store) remove(ref string) error {
	n, err := s.get(ref)
	if err != nil {
		return err
	}
	if n.Predefined || IsPredefinedName(n.Name) {
		return errdefs.Errorf(errdefs.ErrConflict, "%s is a pre-defined network and cannot be removed", n.Name)
	}
	if err := os.Remove(s.path(n.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing network %s: %w", n.Name, err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("removing network %s: %w", n.Name, err)
	}
	// Waiters on the lock file notice it is gone (lockFile) and retry.
	_ = os.Remove(filepath.Join(s.dir, locksDir, n.ID))
	return nil
}
