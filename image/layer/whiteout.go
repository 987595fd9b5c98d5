package layer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/onggi/onggi/image/errdefs"
)

// whiteout records the deletion of parent/<base without ".wh.">.
func (a *applier) whiteout(parent, base string) error {
	victim := strings.TrimPrefix(base, WhiteoutPrefix)
	if victim == "" || victim == "." || victim == ".." || strings.HasPrefix(victim, WhiteoutPrefix) {
		return fmt.Errorf("%w: malformed whiteout", errdefs.ErrInvalid)
	}
	target := path.Join(parent, victim)
	if err := a.clear(target, false); err != nil {
		return err
	}
	if a.opts.Whiteouts == WhiteoutOCI {
		return a.marker(path.Join(parent, base))
	}
	pf, err := a.parent.get(a.root, parent)
	if err != nil {
		return classify(err)
	}
	return mkWhiteout(pf, victim)
}

// opaque marks dir as hiding everything below it in lower layers.
func (a *applier) opaque(dir string) error {
	if a.opts.Whiteouts == WhiteoutOCI {
		return a.marker(path.Join(dir, WhiteoutOpaque))
	}
	f, err := a.root.Open(dir)
	if err != nil {
		return classify(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: opaque marker in %q, which is not a directory", errdefs.ErrInvalid, dir)
	}
	return setOpaque(f)
}

// marker keeps an OCI whiteout as an empty file (copy snapshotter format).
func (a *applier) marker(name string) error {
	if err := a.clear(name, false); err != nil {
		return err
	}
	f, err := a.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return classify(err)
	}
	return f.Close()
}

// parentCache keeps the last parent directory open: tar entries come in
// directory order, so most entries cost one *at call on it instead of a
// component-by-component walk from the root. The fd was opened through
// os.Root, so it is inside the layer; every *at call on it acts on the
// final name only, without following it (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW,
// or calls that never follow: mkdirat, symlinkat, mknodat, unlinkat).
type parentCache struct {
	name string
	f    *os.File
}

func (p *parentCache) get(root *os.Root, name string) (*os.File, error) {
	if p.f != nil && p.name == name {
		return p.f, nil
	}
	p.close()
	f, err := root.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		// Tars may omit parent directories; create them as tar does.
		if err := root.MkdirAll(name, 0o755); err != nil {
			return nil, err
		}
		f, err = root.Open(name)
	}
	if err != nil {
		return nil, err
	}
	p.name, p.f = name, f
	return f, nil
}

func (p *parentCache) close() {
	if p.f != nil {
		p.f.Close()
		p.f, p.name = nil, ""
	}
}
