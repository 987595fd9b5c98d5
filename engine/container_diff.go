package engine

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"golang.org/x/sys/unix"
)

// diffContainer lists what the container changed, from the same layer tar
// commit would write: .wh. entries are deletions, other entries additions
// when no image layer has the path, else changes (docker's A/C/D).
func (e *Engine) diffContainer(ctx context.Context, ref string) ([]ctypes.FilesystemChange, error) {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	lowers, done, err := e.imageLowerDirs(ctx, c)
	if err != nil {
		return nil, err
	}
	defer done()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(e.images.Snapshots().Diff(ctx, snapshotKey(c), pw)) }()
	defer pr.Close()
	changes, err := changesFromTar(pr, func(p string) bool { return existsInLowers(lowers, p) })
	if err != nil {
		return nil, fmt.Errorf("diff of %s: %w", c.ID, err)
	}
	return hideMountpoints(changes), nil
}

// initLayerPaths are the mountpoints the runtime creates in the writable
// layer on start. Docker keeps them in a separate "-init" layer below the
// container's, so its diff never lists them; onggi has no such layer and
// hides them instead (bind mounts of the engine's files: writes to them
// never reach the layer anyway).
var initLayerPaths = []string{"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/dev", "/proc", "/sys", "/.dockerenv"}

func underAny(p string, roots []string) bool {
	for _, r := range roots {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

// hideMountpoints drops the init-layer paths, and the directories changed
// only because they were created in them (the "C /etc" of a fresh
// container).
func hideMountpoints(in []ctypes.FilesystemChange) []ctypes.FilesystemChange {
	var kept, hidden []string
	for _, ch := range in {
		if underAny(ch.Path, initLayerPaths) {
			hidden = append(hidden, ch.Path)
		} else {
			kept = append(kept, ch.Path)
		}
	}
	out := []ctypes.FilesystemChange{}
	for _, ch := range in {
		if underAny(ch.Path, initLayerPaths) {
			continue
		}
		if ch.Kind == ctypes.ChangeModify && hasDescendant(ch.Path, hidden) && !hasDescendant(ch.Path, kept) {
			continue
		}
		out = append(out, ch)
	}
	return out
}

func hasDescendant(dir string, paths []string) bool {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for _, p := range paths {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

func snapshotKey(c *container.Container) string {
	if c.SnapshotKey != "" {
		return c.SnapshotKey
	}
	return c.ID
}

// changesFromTar maps a layer tar to docker's change list, sorted by path.
func changesFromTar(r io.Reader, inLower func(string) bool) ([]ctypes.FilesystemChange, error) {
	tr := tar.NewReader(r)
	seen := map[string]ctypes.ChangeType{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		p := path.Clean("/" + hdr.Name)
		dir, base := path.Split(p)
		switch {
		case base == ".wh..wh..opq":
			// An opaque directory replaced the image's: the directory changed.
			seen[path.Clean(dir)] = ctypes.ChangeModify
		case strings.HasPrefix(base, ".wh."):
			seen[path.Join(dir, strings.TrimPrefix(base, ".wh."))] = ctypes.ChangeDelete
		case p == "/":
		default:
			kind := ctypes.ChangeAdd
			if inLower(p) {
				kind = ctypes.ChangeModify
			}
			seen[p] = kind
		}
	}
	out := make([]ctypes.FilesystemChange, 0, len(seen))
	for p, k := range seen {
		out = append(out, ctypes.FilesystemChange{Path: p, Kind: k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// existsInLowers reports whether p is in the image (lowers top first): the
// first layer that has p, or a whiteout for it, decides.
func existsInLowers(lowers []string, p string) bool {
	dir, base := path.Split(p)
	for _, l := range lowers {
		d, err := securejoin.SecureJoin(l, dir)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Lstat(d+"/"+base, &st) == nil {
			// overlay whiteout: a 0/0 character device hides the lower path
			return !(st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0)
		}
		if _, err := os.Lstat(d + "/.wh." + base); err == nil {
			return false
		}
	}
	return false
}

// imageLowerDirs returns the image's directories below the container's
// snapshot, top first: overlay names them in its lowerdir option; the copy
// driver keeps a flattened tree a read-only view binds.
func (e *Engine) imageLowerDirs(ctx context.Context, c *container.Container) ([]string, func(), error) {
	none := func() {}
	ms, err := e.images.Snapshots().Mounts(ctx, snapshotKey(c))
	if err != nil {
		return nil, none, fmt.Errorf("container %s: %w", c.ID, err)
	}
	for _, m := range ms {
		for _, o := range m.Options {
			if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
				return strings.Split(v, ":"), none, nil
			}
		}
	}
	img, err := e.images.Get(ctx, c.ImageID)
	if err != nil {
		return nil, none, err
	}
	key := snapshotKey(c) + "-diff-view"
	_ = e.images.Snapshots().Remove(ctx, key) // a view left by a crash
	vms, err := e.images.Snapshots().View(ctx, key, img.Config.RootFS.DiffIDs)
	if err != nil {
		return nil, none, err
	}
	done := func() { _ = e.images.Snapshots().Remove(context.WithoutCancel(ctx), key) }
	var dirs []string
	for _, m := range vms {
		if m.Type == "bind" {
			dirs = append(dirs, m.Source)
		}
	}
	return dirs, done, nil
}
