package volume

import "time"

// Volume is one named volume (docker's volume.Volume fields).
type Volume struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"` // always "local"
	Mountpoint string            `json:"Mountpoint"`
	CreatedAt  time.Time         `json:"CreatedAt"`
	Labels     map[string]string `json:"Labels"`
	Options    map[string]string `json:"Options"` // -o: type, device, o
	Scope      string            `json:"Scope"`   // "local"
	// Anonymous is set for volumes onggi named itself (image VOLUME, -v /p);
	// docker labels them com.docker.volume.anonymous.
	Anonymous bool `json:"-"`
}

// Mount is one mount as data (the runtime performs it). For a plain volume it
// is a bind of Mountpoint; with -o type=tmpfs it is a tmpfs with the o= data;
// with -o o=bind device=/path, a bind of the device.
type Mount struct {
	Type    string
	Source  string
	Options []string
}

// CreateOptions are `volume create`'s flags.
type CreateOptions struct {
	Name      string // "" = random 64-hex name (anonymous)
	Driver    string // "" or "local"; anything else is errdefs.ErrInvalid
	Labels    map[string]string
	Options   map[string]string // type, device, o (docker's local driver)
	Anonymous bool
}

// Store keeps volumes under <root>/volumes.
type Store struct {
	dir string
}

// Open returns the store under dir, creating it.
func Open(dir string) (*Store, error) { return openStore(dir) }

// Create makes a volume. Creating an existing name with the same driver
// returns the existing volume (docker's behaviour); bad names or options
// wrap errdefs.ErrInvalid. It takes the volume's lock itself: do not call
// it with Lock held (flock is per open file, so that would deadlock).
func (s *Store) Create(o CreateOptions) (*Volume, error) { return s.create(o) }

// Get returns a volume or errdefs.ErrNotFound ("no such volume: x").
// Anonymous is derived from the com.docker.volume.anonymous label.
func (s *Store) Get(name string) (*Volume, error) { return s.get(name) }

// List returns all volumes sorted by name.
func (s *Store) List() ([]*Volume, error) { return s.list() }

// Remove deletes a volume and its data. The caller (engine) checks use
// by containers first and holds the volume's lock via Lock.
func (s *Store) Remove(name string) error { return s.remove(name) }

// Lock takes the volume's lock (create/remove/populate are serialised):
// a flock on <dir>/.locks/<name>, so it works across processes and is
// released if the holder dies. Not re-entrant: Create and Populate take it
// themselves.
func (s *Store) Lock(name string) (unlock func(), err error) { return s.lock(name) }

// Mount describes how to mount the volume into a container.
func (s *Store) Mount(v *Volume) (Mount, error) { return s.mount(v) }

// Populate copies dir's tree (the image content at the mount point, already
// resolved safely inside the container rootfs) into a volume that has never
// been populated, once, preserving ownership, modes, symlinks and xattrs
// where possible; later calls do nothing. Docker's "copy image data into a
// new named volume" rule; tmpfs/bind-device volumes are not populated.
func (s *Store) Populate(v *Volume, src string) error { return s.populate(v, src) }

// Size reports the bytes used by a volume's data (system df).
func (s *Store) Size(v *Volume) (int64, error) { return s.size(v) }
