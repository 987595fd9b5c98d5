package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/onggi/onggi/image/errdefs"
	"github.com/onggi/onggi/image/internal/diskfile"
	"github.com/onggi/onggi/image/layer"
	digest "github.com/opencontainers/go-digest"
)

// New returns the snapshotter under root, creating it and, on first use,
// choosing the driver.
func New(root string, opts ...Option) (*Snapshotter, error) {
	s := &Snapshotter{root: root, logf: func(string, ...any) {}}
	for _, o := range opts {
		o(s)
	}
	if s.maxData <= 0 {
		s.maxData = os.Getpagesize() - 256
	}
	for _, d := range []string{"layers", "flat", "active", "l", "tmp", "locks"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			return nil, fmt.Errorf("creating snapshot root %s: %w", root, err)
		}
	}
	if err := s.chooseDriver(); err != nil {
		return nil, err
	}
	return s, nil
}

// Driver is the driver in use ("overlay" or "copy").
func (s *Snapshotter) Driver() string { return s.driver }

// chooseDriver applies WithDriver, else the driver recorded for this root,
// else detects one and records it: layer directories are stored in the
// driver's whiteout format, so a root must not switch drivers under them.
func (s *Snapshotter) chooseDriver() error {
	file := filepath.Join(s.root, "driver")
	recorded, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading snapshot driver: %w", err)
	}
	rec := strings.TrimSpace(string(recorded))
	switch {
	case s.want != "" && s.want != DriverOverlay && s.want != DriverCopy:
		return fmt.Errorf("snapshot driver %q: %w (want overlay or copy)", s.want, errdefs.ErrInvalid)
	case s.want != "" && rec != "" && rec != s.want:
		return fmt.Errorf("snapshot driver %q: %w: %s holds %s layers", s.want, errdefs.ErrInvalid, s.root, rec)
	case s.want != "":
		s.driver = s.want
	case rec != "":
		s.driver = rec
		return nil
	default:
		s.driver = DriverOverlay
		if err := overlaySupported(filepath.Join(s.root, "tmp")); err != nil {
			s.driver = DriverCopy
			s.logf("overlayfs is not usable under %s (%v): using the copy snapshotter (slower, uses more disk)", s.root, err)
		}
	}
	return diskfile.WriteAtomic(file, []byte(s.driver+"\n"), 0o600)
}

// whiteouts is the whiteout format of this driver's layer directories.
func (s *Snapshotter) whiteouts() layer.WhiteoutFormat {
	if s.driver == DriverCopy {
		return layer.WhiteoutOCI
	}
	return layer.WhiteoutOverlay
}

func (s *Snapshotter) lock(ctx context.Context, name string) (*diskfile.Lock, error) {
	return diskfile.Acquire(ctx, filepath.Join(s.root, "locks", name+".lock"), false)
}

// layerDir is where the layer with chainID is unpacked.
func (s *Snapshotter) layerDir(chainID digest.Digest) string {
	return filepath.Join(s.root, "layers", chainID.Encoded())
}

// HasLayer reports whether the layer with chainID is unpacked.
func (s *Snapshotter) HasLayer(chainID digest.Digest) bool {
	if chainID.Validate() != nil {
		return false
	}
	_, err := os.Stat(filepath.Join(s.layerDir(chainID), "info.json"))
	return err == nil
}

// Layers lists the unpacked layers.
func (s *Snapshotter) Layers(ctx context.Context) ([]LayerInfo, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, "layers"))
	if err != nil {
		return nil, fmt.Errorf("listing layers: %w", err)
	}
	var out []LayerInfo
	for _, e := range ents {
		var li LayerInfo
		if err := readJSON(filepath.Join(s.root, "layers", e.Name(), "info.json"), &li); err != nil {
			continue // not a complete layer
		}
		out = append(out, li)
	}
	return out, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return diskfile.WriteAtomic(path, b, 0o600)
}

// keyRE is compiled on first use, not at package init: the {0,127}
// repetition makes a large program (~0.15 ms, 1,700 allocations), which
// every onggi process, container inits included, would pay at start.
var keyRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
})

// activeDir is the directory of snapshot key.
func (s *Snapshotter) activeDir(key string) (string, error) {
	if !keyRE().MatchString(key) {
		return "", fmt.Errorf("snapshot key %q: %w: must match %s", key, errdefs.ErrInvalid, keyRE())
	}
	return filepath.Join(s.root, "active", key), nil
}

// Stat describes snapshot key.
func (s *Snapshotter) Stat(ctx context.Context, key string) (Info, error) {
	dir, err := s.activeDir(key)
	if err != nil {
		return Info{}, err
	}
	var info Info
	if err := readJSON(filepath.Join(dir, "info.json"), &info); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Info{}, fmt.Errorf("snapshot %q: %w", key, errdefs.ErrNotFound)
		}
		return Info{}, err
	}
	return info, nil
}

// List lists the snapshots.
func (s *Snapshotter) List(ctx context.Context) ([]Info, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, "active"))
	if err != nil {
		return nil, fmt.Errorf("listing snapshots: %w", err)
	}
	var out []Info
	for _, e := range ents {
		if info, err := s.Stat(ctx, e.Name()); err == nil {
			out = append(out, info)
		}
	}
	return out, nil
}
