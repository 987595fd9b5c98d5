package snapshot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/onggi/onggi/image/layer"
	digest "github.com/opencontainers/go-digest"
)

// flatInfo is the record of a flattened directory.
type flatInfo struct {
	Layers []digest.Digest `json:"layers"` // chain IDs merged, bottom first
}

// lowerDirs returns the overlay lowerdir list (top first) for chains,
// flattening the bottom layers into one directory when the list would not
// fit in the mount data budget.
func (s *Snapshotter) lowerDirs(ctx context.Context, chains []digest.Digest, dir string, ro bool) ([]string, error) {
	if len(chains) == 0 {
		return []string{s.emptyDir()}, os.MkdirAll(s.emptyDir(), 0o755)
	}
	links := make([]string, len(chains)) // bottom first
	for i, c := range chains {
		l, err := s.shortLink("layer:"+c.String(), filepath.Join(s.layerDir(c), "diff"))
		if err != nil {
			return nil, err
		}
		links[i] = l
	}
	budget := s.maxData - s.fixedOptionBytes(dir, ro)
	if cost(links) <= budget {
		return reversed(links), nil
	}
	// Keep as many top layers separate as fit beside one flattened base:
	// the more that stay shared, the less is copied.
	for keep := len(chains) - 1; keep >= 0; keep-- {
		base := chains[:len(chains)-keep]
		flatLink, err := s.shortLink("flat:"+base[len(base)-1].String(), filepath.Join(s.flatDir(base[len(base)-1]), "diff"))
		if err != nil {
			return nil, err
		}
		top := links[len(chains)-keep:]
		if cost(top)+len(flatLink)+1 > budget {
			continue
		}
		if _, err := s.flat(ctx, base); err != nil {
			return nil, err
		}
		return reversed(append([]string{flatLink}, top...)), nil
	}
	return nil, fmt.Errorf("overlay mount data does not fit even with every layer flattened (budget %d bytes)", budget)
}

// fixedOptionBytes is the mount data other than the lowerdir paths.
func (s *Snapshotter) fixedOptionBytes(dir string, ro bool) int {
	n := len("lowerdir=")
	if ro {
		n += len(",ro")
	} else {
		n += len(",upperdir=") + len(filepath.Join(dir, "upper")) + len(",workdir=") + len(filepath.Join(dir, "work"))
	}
	for _, o := range overlayExtraOptions() {
		n += len(o) + 1
	}
	return n
}

func cost(paths []string) int {
	n := 0
	for _, p := range paths {
		n += len(p) + 1
	}
	return n
}

func reversed(in []string) []string {
	out := make([]string, len(in))
	for i, p := range in {
		out[len(in)-1-i] = p
	}
	return out
}

func (s *Snapshotter) flatDir(top digest.Digest) string {
	return filepath.Join(s.root, "flat", top.Encoded())
}

// flat returns the directory holding chains merged (bottom first), making
// it once under a lock; it is keyed by the top chain ID, which fixes the
// whole stack below it.
func (s *Snapshotter) flat(ctx context.Context, chains []digest.Digest) (_ string, retErr error) {
	top := chains[len(chains)-1]
	dir := s.flatDir(top)
	if _, err := os.Stat(filepath.Join(dir, "info.json")); err == nil {
		return filepath.Join(dir, "diff"), nil
	}
	l, err := s.lock(ctx, "flat-"+top.Encoded())
	if err != nil {
		return "", err
	}
	defer l.Unlock()
	if _, err := os.Stat(filepath.Join(dir, "info.json")); err == nil {
		return filepath.Join(dir, "diff"), nil
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "flat-"+top.Encoded()+"-")
	if err != nil {
		return "", err
	}
	defer func() {
		if retErr != nil {
			os.RemoveAll(tmp)
		}
	}()
	dirs := make([]string, len(chains))
	for i, c := range chains {
		dirs[i] = filepath.Join(s.layerDir(c), "diff")
	}
	if err := layer.Merge(ctx, filepath.Join(tmp, "diff"), dirs, s.mergeOpts()); err != nil {
		return "", fmt.Errorf("flattening layers below %s: %w", top, err)
	}
	if err := writeJSON(filepath.Join(tmp, "info.json"), flatInfo{Layers: chains}); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("committing flattened layers %s: %w", top, err)
	}
	return filepath.Join(dir, "diff"), nil
}

// tmpOwner maps a tmp entry to the lock its writer holds ("" = none).
func tmpOwner(name string) string {
	for _, p := range []string{"layer-", "flat-"} {
		if rest, ok := strings.CutPrefix(name, p); ok && len(rest) > 64 {
			return p + rest[:64]
		}
	}
	return ""
}
