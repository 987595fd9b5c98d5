package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/onggi/onggi/image/errdefs"
	"github.com/onggi/onggi/image/internal/diskfile"
	"github.com/onggi/onggi/image/layer"
	digest "github.com/opencontainers/go-digest"
)

// Remove deletes snapshot key and its writable data. The caller must have
// unmounted it.
func (s *Snapshotter) Remove(ctx context.Context, key string) error {
	dir, err := s.activeDir(key)
	if err != nil {
		return err
	}
	l, err := s.lock(ctx, "snapshots")
	if err != nil {
		return err
	}
	defer l.Unlock()
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("snapshot %q: %w", key, errdefs.ErrNotFound)
	}
	return s.discard(dir)
}

// RemoveDeferred is Remove in two steps, for a caller on a latency path
// (the monitor removing a `run --rm` container before it reports the
// exit): it makes the snapshot vanish at once, renamed aside into tmp
// under the lock, and returns purge, which deletes its files and may run
// later, in the background. A purge that never runs (the process died)
// leaves a tmp entry that Clean deletes.
func (s *Snapshotter) RemoveDeferred(ctx context.Context, key string) (purge func() error, err error) {
	dir, err := s.activeDir(key)
	if err != nil {
		return nil, err
	}
	l, err := s.lock(ctx, "snapshots")
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("snapshot %q: %w", key, errdefs.ErrNotFound)
	}
	tmp, err := s.setAside(dir)
	if err != nil {
		return nil, err
	}
	return func() error { return purgeDir(dir, tmp) }, nil
}

// discard removes a directory crash-safely: renamed into tmp first, so a
// half-deleted snapshot or layer never looks complete; Clean finishes it.
func (s *Snapshotter) discard(dir string) error {
	tmp, err := s.setAside(dir)
	if err != nil {
		return err
	}
	return purgeDir(dir, tmp)
}

// setAside renames dir into a new directory under tmp, which it returns.
func (s *Snapshotter) setAside(dir string) (string, error) {
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "rm-")
	if err != nil {
		return "", err
	}
	if err := os.Rename(dir, filepath.Join(tmp, "x")); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("removing %s: %w", dir, err)
	}
	return tmp, nil
}

// purgeDir deletes tmp, where dir was set aside.
func purgeDir(dir, tmp string) error {
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	return nil
}

// RemoveLayer deletes an unpacked layer and the flattened directories
// containing it; one a snapshot uses is errdefs.ErrInUse.
func (s *Snapshotter) RemoveLayer(ctx context.Context, chainID digest.Digest) error {
	if chainID.Validate() != nil {
		return fmt.Errorf("layer %q: %w", chainID, errdefs.ErrInvalid)
	}
	l, err := s.lock(ctx, "snapshots")
	if err != nil {
		return err
	}
	defer l.Unlock()
	snaps, err := s.List(ctx)
	if err != nil {
		return err
	}
	for _, sn := range snaps {
		if slices.Contains(sn.Layers, chainID) {
			return fmt.Errorf("layer %s: %w by snapshot %q", chainID, errdefs.ErrInUse, sn.Key)
		}
	}
	if err := s.removeFlats(chainID); err != nil {
		return err
	}
	ll, err := s.lock(ctx, "layer-"+chainID.Encoded())
	if err != nil {
		return err
	}
	defer ll.Unlock()
	if _, err := os.Lstat(s.layerDir(chainID)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("layer %s: %w", chainID, errdefs.ErrNotFound)
	}
	s.removeLink("layer:" + chainID.String())
	return s.discard(s.layerDir(chainID))
}

func (s *Snapshotter) removeFlats(chainID digest.Digest) error {
	ents, err := os.ReadDir(filepath.Join(s.root, "flat"))
	if err != nil {
		return err
	}
	for _, e := range ents {
		dir := filepath.Join(s.root, "flat", e.Name())
		var fi flatInfo
		if err := readJSON(filepath.Join(dir, "info.json"), &fi); err != nil || !slices.Contains(fi.Layers, chainID) {
			continue
		}
		s.removeLink("flat:" + fi.Layers[len(fi.Layers)-1].String())
		if err := s.discard(dir); err != nil {
			return err
		}
	}
	return nil
}

func (s *Snapshotter) removeLink(id string) {
	if link, err := s.shortLinkName(id); err == nil {
		os.Remove(link)
	}
}

// Clean removes what interrupted operations left: half-unpacked layers and
// half-deleted dirs in tmp (skipping entries a live process still owns) and
// snapshots whose Prepare never finished.
func (s *Snapshotter) Clean(ctx context.Context) (int, error) {
	n, err := s.cleanActive(ctx)
	if err != nil {
		return n, err
	}
	m, err := s.cleanTmp()
	return n + m, err
}

func (s *Snapshotter) cleanActive(ctx context.Context) (int, error) {
	l, err := s.lock(ctx, "snapshots")
	if err != nil {
		return 0, err
	}
	defer l.Unlock()
	ents, err := os.ReadDir(filepath.Join(s.root, "active"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		dir := filepath.Join(s.root, "active", e.Name())
		if _, err := os.Stat(filepath.Join(dir, "info.json")); errors.Is(err, fs.ErrNotExist) {
			if err := s.discard(dir); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

func (s *Snapshotter) cleanTmp() (int, error) {
	dir := filepath.Join(s.root, "tmp")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		if owner := tmpOwner(e.Name()); owner != "" {
			l, err := diskfile.TryAcquire(filepath.Join(s.root, "locks", owner+".lock"), false)
			if err != nil || l == nil {
				continue // its writer is alive
			}
			err = os.RemoveAll(filepath.Join(dir, e.Name()))
			l.Unlock()
			if err != nil {
				return n, err
			}
		} else if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Diff writes the changes made in snapshot key as a layer tar.
func (s *Snapshotter) Diff(ctx context.Context, key string, w io.Writer) error {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return err
	}
	if info.ReadOnly {
		return fmt.Errorf("snapshot %q: %w: a view has no changes", key, errdefs.ErrInvalid)
	}
	dir, _ := s.activeDir(key)
	if info.Driver == DriverCopy {
		base := ""
		if len(info.Layers) > 0 {
			base = filepath.Join(s.flatDir(info.Layers[len(info.Layers)-1]), "diff")
		}
		return layer.DiffTrees(ctx, base, filepath.Join(dir, "rootfs"), w)
	}
	var lowers []string
	if err := readJSON(filepath.Join(dir, "lowers.json"), &lowers); err != nil {
		return fmt.Errorf("snapshot %q: %w", key, err)
	}
	return layer.Diff(ctx, lowers, filepath.Join(dir, "upper"), w)
}

// Usage is the disk usage of snapshot key's writable part, in bytes.
func (s *Snapshotter) Usage(ctx context.Context, key string) (int64, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return 0, err
	}
	dir, _ := s.activeDir(key)
	rw := filepath.Join(dir, "upper")
	if info.Driver == DriverCopy {
		rw = filepath.Join(dir, "rootfs")
	}
	var n int64
	err = filepath.WalkDir(rw, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n, err
}
