package volume

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onggi/onggi/errdefs"
)

const (
	metaFile = "volume.json"
	dataDir  = "_data"
	// populatedFile marks a volume Populate has handled (copied or found
	// non-empty), so image content is copied at most once.
	populatedFile = ".populated"
	// AnonymousLabel is docker's label on volumes it named itself.
	AnonymousLabel = "com.docker.volume.anonymous"
	// sweepAge: leftovers of a create/remove killed midway older than any
	// operation still running.
	sweepAge = 10 * time.Minute
)

func openStore(dir string) (*Store, error) {
	// 0701 as docker's /var/lib/docker/volumes: others may traverse to a
	// _data they were given but not list the volumes.
	if err := os.MkdirAll(filepath.Join(dir, ".locks"), 0o700); err != nil {
		return nil, fmt.Errorf("opening volume store: %w", err)
	}
	if err := os.Chmod(dir, 0o701); err != nil {
		return nil, fmt.Errorf("opening volume store: %w", err)
	}
	return &Store{dir: dir}, nil
}

func (s *Store) volPath(name string) string  { return filepath.Join(s.dir, name) }
func (s *Store) dataPath(name string) string { return filepath.Join(s.dir, name, dataDir) }

func (s *Store) create(o CreateOptions) (*Volume, error) {
	if o.Driver != "" && o.Driver != "local" {
		return nil, invalid("create %s: error looking up volume plugin %s: plugin %q not found", o.Name, o.Driver, o.Driver)
	}
	name, anon := o.Name, o.Anonymous
	if name == "" {
		name, anon = randomName(), true
	} else if err := checkName(name); err != nil {
		return nil, err
	}
	if err := validateOptions(o.Options); err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	unlock, err := s.lock(name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if v, err := s.get(name); err == nil || !errors.Is(err, errdefs.ErrNotFound) {
		return v, err
	}
	v := &Volume{
		Name: name, Driver: "local", Mountpoint: s.dataPath(name),
		CreatedAt: time.Now().UTC().Truncate(time.Second),
		Labels:    maps.Clone(o.Labels), Options: maps.Clone(o.Options),
		Scope: "local", Anonymous: anon,
	}
	if anon {
		if v.Labels == nil {
			v.Labels = map[string]string{}
		}
		v.Labels[AnonymousLabel] = ""
	}
	if err := s.write(v); err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return v, nil
}

// write builds <name>/{volume.json,_data} in a temp dir and renames it in,
// so a volume is either complete or absent after a crash.
func (s *Store) write(v *Volume) (retErr error) {
	tmp, err := os.MkdirTemp(s.dir, ".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Mkdir(filepath.Join(tmp, dataDir), 0o755); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(tmp, dataDir), 0o755); err != nil { // despite umask
		return err
	}
	if err := writeMeta(tmp, v); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o701); err != nil {
		return err
	}
	return renameNoReplace(tmp, s.volPath(v.Name))
}

func writeMeta(dir string, v *Volume) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, metaFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *Store) get(name string) (*Volume, error) {
	if !validName(name) {
		return nil, notFound(name)
	}
	data, err := os.ReadFile(filepath.Join(s.volPath(name), metaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading volume %s: %w", name, err)
	}
	v := new(Volume)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("decoding volume %s: %w", name, err)
	}
	// The path is where the store is now, not where it was at create.
	v.Name, v.Mountpoint = name, s.dataPath(name)
	_, v.Anonymous = v.Labels[AnonymousLabel]
	return v, nil
}

func (s *Store) list() ([]*Volume, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("listing volumes: %w", err)
	}
	var out []*Volume
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".tmp-") || strings.HasPrefix(name, ".removing-") {
			sweep(filepath.Join(s.dir, name), e)
			continue
		}
		if !validName(name) {
			continue
		}
		if v, err := s.get(name); err == nil {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func sweep(path string, e fs.DirEntry) {
	if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > sweepAge {
		os.RemoveAll(path)
	}
}

// remove renames the volume aside first so a remove killed midway never
// leaves a half-deleted volume that Get or List would show.
func (s *Store) remove(name string) error {
	if _, err := s.get(name); err != nil {
		return err
	}
	aside := filepath.Join(s.dir, ".removing-"+randomName()[:16])
	if err := renameNoReplace(s.volPath(name), aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return notFound(name)
		}
		return fmt.Errorf("removing volume %s: %w", name, err)
	}
	if err := os.RemoveAll(aside); err != nil {
		return fmt.Errorf("removing volume %s: %w", name, err)
	}
	// Safe while the caller holds the lock: lock() re-checks the inode.
	os.Remove(s.lockPath(name))
	return nil
}
