package snapshot

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/onggi/onggi/image/errdefs"
	"github.com/onggi/onggi/image/layer"
	digest "github.com/opencontainers/go-digest"
)

// Prepare creates a writable snapshot key on top of the layers diffIDs
// (which must be unpacked) and returns its mounts. An existing key is
// errdefs.ErrExists.
func (s *Snapshotter) Prepare(ctx context.Context, key string, diffIDs []digest.Digest) ([]Mount, error) {
	return s.create(ctx, key, diffIDs, false)
}

// View is Prepare for a read-only snapshot (build contexts, image
// inspection); it has no upper dir.
func (s *Snapshotter) View(ctx context.Context, key string, diffIDs []digest.Digest) ([]Mount, error) {
	return s.create(ctx, key, diffIDs, true)
}

func (s *Snapshotter) create(ctx context.Context, key string, diffIDs []digest.Digest, ro bool) (_ []Mount, retErr error) {
	dir, err := s.activeDir(key)
	if err != nil {
		return nil, err
	}
	chains := ChainIDs(diffIDs)
	for _, c := range chains {
		if !s.HasLayer(c) {
			return nil, fmt.Errorf("snapshot %q: layer %s: %w (unpack the image first)", key, c, errdefs.ErrNotFound)
		}
	}
	l, err := s.lock(ctx, "snapshots")
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	if err := s.mkActive(dir, key); err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			os.RemoveAll(dir)
		}
	}()
	var lowers []string
	if s.driver == DriverCopy {
		err = s.createCopy(ctx, dir, chains, ro)
	} else {
		lowers, err = s.createOverlay(ctx, dir, chains, ro)
	}
	if err != nil {
		return nil, fmt.Errorf("creating snapshot %q: %w", key, err)
	}
	info := Info{Key: key, Driver: s.driver, ReadOnly: ro, Layers: chains}
	// info.json last: its presence marks the snapshot complete (mkActive).
	if err := writeState(filepath.Join(dir, "info.json"), info); err != nil {
		return nil, err
	}
	if info.Driver == DriverCopy {
		return s.mounts(dir, info)
	}
	return s.overlayMounts(info, dir, lowers), nil // lowers as just written: no re-read
}

// writeState replaces a snapshot's metadata file atomically (temp file,
// rename) without fsync. A container's snapshot is created on every
// `run`, where the file and directory fsyncs of diskfile.WriteAtomic cost
// ~2 ms of the ~10 ms budget. A kill -9 still leaves the old or the new
// file; only a power loss or kernel crash may lose the write, which at
// worst loses that container's (disposable) writable layer: Clean discards
// a snapshot whose info.json is missing. Layer contents and their
// metadata, shared by every container, keep writeJSON's fsyncs.
func writeState(path string, v any) (retErr error) {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if retErr != nil {
			os.Remove(f.Name())
		}
	}()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// mkActive creates a snapshot's directory. One without info.json is the
// remains of a Prepare killed midway: it is discarded, not an ErrExists.
func (s *Snapshotter) mkActive(dir, key string) error {
	err := os.Mkdir(dir, 0o700)
	if errors.Is(err, fs.ErrExist) {
		if _, serr := os.Stat(filepath.Join(dir, "info.json")); serr == nil {
			return fmt.Errorf("snapshot %q: %w", key, errdefs.ErrExists)
		}
		if err := s.discard(dir); err != nil {
			return err
		}
		err = os.Mkdir(dir, 0o700)
	}
	if err != nil {
		return fmt.Errorf("creating snapshot %q: %w", key, err)
	}
	return nil
}

func (s *Snapshotter) createOverlay(ctx context.Context, dir string, chains []digest.Digest, ro bool) ([]string, error) {
	if !ro {
		for _, d := range []string{"upper", "work"} {
			if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
				return nil, err
			}
		}
	}
	lowers, err := s.lowerDirs(ctx, chains, dir, ro)
	if err != nil {
		return nil, err
	}
	return lowers, writeState(filepath.Join(dir, "lowers.json"), lowers)
}

// createCopy fills dir/rootfs with the merged layers: a copy of the cached
// flattened image tree (built once per image), so Diff can compare against
// that same tree later.
func (s *Snapshotter) createCopy(ctx context.Context, dir string, chains []digest.Digest, ro bool) error {
	rootfs := filepath.Join(dir, "rootfs")
	if len(chains) == 0 {
		return os.Mkdir(rootfs, 0o755)
	}
	flat, err := s.flat(ctx, chains)
	if err != nil {
		return err
	}
	if ro {
		return nil // a view binds the shared flat tree read-only
	}
	return layer.Merge(ctx, rootfs, []string{flat}, s.mergeOpts())
}

func (s *Snapshotter) mergeOpts() layer.Options {
	o := s.applyOpts
	o.Whiteouts = s.whiteouts()
	return o
}

// Mounts returns the mounts of an existing snapshot.
func (s *Snapshotter) Mounts(ctx context.Context, key string) ([]Mount, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	dir, _ := s.activeDir(key)
	return s.mounts(dir, info)
}

// mounts describes snapshot dir as mount data.
func (s *Snapshotter) mounts(dir string, info Info) ([]Mount, error) {
	if info.Driver == DriverCopy {
		src, opt := filepath.Join(dir, "rootfs"), "rw"
		if info.ReadOnly {
			opt = "ro"
			if len(info.Layers) > 0 {
				src = filepath.Join(s.flatDir(info.Layers[len(info.Layers)-1]), "diff")
			} else {
				src = s.emptyDir()
			}
		}
		return []Mount{{Type: "bind", Source: src, Options: []string{"rbind", opt}}}, nil
	}
	var lowers []string
	if err := readJSON(filepath.Join(dir, "lowers.json"), &lowers); err != nil {
		return nil, fmt.Errorf("snapshot %q: %w", info.Key, err)
	}
	return s.overlayMounts(info, dir, lowers), nil
}

// overlayMounts is the mount of an overlay snapshot with these lowers.
func (s *Snapshotter) overlayMounts(info Info, dir string, lowers []string) []Mount {
	if info.ReadOnly && len(lowers) == 1 {
		return []Mount{{Type: "bind", Source: lowers[0], Options: []string{"rbind", "ro"}}}
	}
	opts := []string{"lowerdir=" + strings.Join(lowers, ":")}
	if !info.ReadOnly {
		opts = append(opts, "upperdir="+filepath.Join(dir, "upper"), "workdir="+filepath.Join(dir, "work"))
	} else {
		opts = append(opts, "ro")
	}
	opts = append(opts, overlayExtraOptions()...)
	return []Mount{{Type: "overlay", Source: "overlay", Options: opts}}
}

// emptyDir is a shared empty directory: the lower of a snapshot of an
// image without layers (overlay needs at least one lowerdir).
func (s *Snapshotter) emptyDir() string { return filepath.Join(s.root, "empty") }

// shortLink returns the short path naming dir in mount options
// (<root>/l/<8 chars>), creating the link if needed. Overlay's mount data
// is one page: 150 layers of 80-byte paths do not fit, 150 of ~40 nearly
// do, and flattening handles the rest.
func (s *Snapshotter) shortLink(id string, dir string) (string, error) {
	link, _ := s.shortLinkName(id)
	target, err := filepath.Rel(filepath.Join(s.root, "l"), dir)
	if err != nil {
		return "", err
	}
	cur, err := os.Readlink(link)
	switch {
	case err == nil && cur == target:
		return link, nil
	case err == nil:
		return dir, nil // collision: use the long path
	}
	if err := os.Symlink(target, link); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("creating layer link %s: %w", link, err)
	}
	if cur, _ := os.Readlink(link); cur != target {
		return dir, nil
	}
	return link, nil
}

// shortLinkName is the link path for id: 8 base32 characters of its hash.
func (s *Snapshotter) shortLinkName(id string) (string, error) {
	sum := digest.FromString(id)
	name := strings.ToLower(base32.StdEncoding.EncodeToString([]byte(sum.Encoded()[:16])))[:8]
	return filepath.Join(s.root, "l", name), nil
}
