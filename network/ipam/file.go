package ipam

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/internal/flock"
)

// table is one network's file.
type table struct {
	// Addrs maps each allocated address to its owner.
	Addrs map[netip.Addr]string `json:"addrs"`
	// Last is the address last picked dynamically in each pool (keyed by
	// the pool's prefix): the next pick starts after it.
	Last map[string]netip.Addr `json:"last,omitempty"`
}

// validNetID keeps a network id a plain file name inside dir.
var validNetID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

func (a *Allocator) paths(netID string) (data, lock string, err error) {
	if !validNetID.MatchString(netID) {
		return "", "", errdefs.Errorf(errdefs.ErrInvalid, "invalid network id %q", netID)
	}
	return filepath.Join(a.dir, netID+".json"), filepath.Join(a.dir, netID+".lock"), nil
}

func (a *Allocator) read(netID string) (*table, error) {
	data, _, err := a.paths(netID)
	if err != nil {
		return nil, err
	}
	return readTable(data)
}

func readTable(path string) (*table, error) {
	t := &table{Addrs: map[netip.Addr]string{}, Last: map[string]netip.Addr{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, t); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if t.Addrs == nil {
		t.Addrs = map[netip.Addr]string{}
	}
	if t.Last == nil {
		t.Last = map[string]netip.Addr{}
	}
	return t, nil
}

// modify runs fn on the network's table under its lock and writes the
// table back when fn succeeds and reports a change.
func (a *Allocator) modify(netID string, fn func(*table) (changed bool, err error)) error {
	data, lock, err := a.paths(netID)
	if err != nil {
		return err
	}
	unlock, err := lockFile(lock)
	if err != nil {
		return err
	}
	defer unlock()
	t, err := readTable(data)
	if err != nil {
		return err
	}
	changed, err := fn(t)
	if err != nil || !changed {
		return err
	}
	return writeTable(data, t)
}

// writeTable replaces the file atomically (temporary file, rename): after
// kill -9 at any point the file holds the old or the new table. It is not
// fsynced: allocations live only as long as a run, so after a power cut
// (the only case fsync covers) nothing runs and an older table is as good
// as the newest; the two fsyncs cost 1-6 ms on every container start.
// The temporary name is fixed because the caller holds the lock; a
// leftover of a killed writer is truncated.
func writeTable(path string, t *table) (retErr error) {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// remove deletes the network's table, then its lock file while holding
// it; a waiter on the removed lock notices (lockFile) and retries.
func (a *Allocator) remove(netID string) error {
	data, lock, err := a.paths(netID)
	if err != nil {
		return err
	}
	unlock, err := lockFile(lock)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Remove(data); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	_ = os.Remove(filepath.Join(filepath.Dir(data), "."+filepath.Base(data)+".tmp"))
	return os.Remove(lock)
}

// networks lists the ids that have a table.
func (a *Allocator) networks() ([]string, error) {
	ents, err := os.ReadDir(a.dir)
	if err != nil {
		return nil, fmt.Errorf("listing ipam tables: %w", err)
	}
	var ids []string
	for _, e := range ents {
		if id, ok := strings.CutSuffix(e.Name(), ".json"); ok && validNetID.MatchString(id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// lockFile flocks path, creating it; if the path was removed or replaced
// while we waited, the lock is on an orphan and we try again.
func lockFile(path string) (func(), error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		if err := flock.Lock(f); err != nil {
			f.Close()
			return nil, err
		}
		fi, err1 := f.Stat()
		cur, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(fi, cur) {
			return func() { f.Close() }, nil
		}
		f.Close()
		if err2 != nil && !errors.Is(err2, os.ErrNotExist) {
			return nil, err2
		}
	}
}
