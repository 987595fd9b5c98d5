package seccomp

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Cache keeps compiled filters, so a profile is compiled once per host
// rather than once per container. libseccomp takes ~17 ms to compile
// Docker's default profile here — more than all the rest of a container's
// start — and the program depends only on the profile, the kernel and
// libseccomp. A Cache remembers programs in memory (a long-lived caller
// such as onggi's monitor compiles each profile once) and in files under
// dir (short-lived callers such as `onggi-runc run` share them); dir should
// be on a filesystem that a reboot clears (a runtime root under /run), and
// the key also names the kernel release, so a kernel upgrade never loads a
// stale program.
type Cache struct {
	dir string
	mu  sync.Mutex
	mem map[string]*Filter
}

// NewCache returns a cache keeping its files in dir ("" = memory only).
func NewCache(dir string) *Cache { return &Cache{dir: dir, mem: map[string]*Filter{}} }

// Compile returns the compiled filter for cfg, compiling only on a miss.
// A nil cfg gives a nil *Filter. A cache file that cannot be read or
// decoded is ignored (and replaced); the cache never makes Compile fail
// where compiling would succeed.
func (c *Cache) Compile(cfg *specs.LinuxSeccomp) (*Filter, error) {
	if cfg == nil {
		return nil, nil
	}
	key, err := cacheKey(cfg)
	if err != nil {
		return Compile(cfg)
	}
	c.mu.Lock()
	f := c.mem[key]
	c.mu.Unlock()
	if f != nil {
		return f, nil
	}
	if f = c.readFile(key); f == nil {
		if f, err = Compile(cfg); err != nil {
			return nil, err
		}
		c.writeFile(key, f)
	}
	c.mu.Lock()
	c.mem[key] = f
	c.mu.Unlock()
	return f, nil
}

func cacheKey(cfg *specs.LinuxSeccomp) (string, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "onggi-seccomp-v1\x00%s\x00%s\x00", unix.ByteSliceToString(uts.Release[:]), libVersion())
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (c *Cache) path(key string) string { return filepath.Join(c.dir, key+".json") }

func (c *Cache) readFile(key string) *Filter {
	if c.dir == "" {
		return nil
	}
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		return nil
	}
	var f Filter
	if json.Unmarshal(b, &f) != nil || len(f.prog) == 0 {
		return nil
	}
	return &f
}

// writeFile stores f atomically (temp + rename); failures only cost a
// later compile.
func (c *Cache) writeFile(key string, f *Filter) {
	if c.dir == "" {
		return
	}
	b, err := json.Marshal(f)
	if err != nil || os.MkdirAll(c.dir, 0o700) != nil {
		return
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), c.path(key)) != nil {
		os.Remove(tmp.Name())
	}
}

// filterJSON is a Filter as data: the classic BPF program (struct
// sock_filter array, native endian) and the seccomp(2) flags.
type filterJSON struct {
	Prog   string  `json:"prog"` // base64
	Flags  uintptr `json:"flags"`
	Notify bool    `json:"notify,omitempty"`
}

// MarshalJSON encodes the compiled program, so a runtime can compile in
// the parent (cached) and hand the program to the container's init.
func (f *Filter) MarshalJSON() ([]byte, error) {
	raw := make([]byte, 0, len(f.prog)*8)
	for _, in := range f.prog {
		raw = appendInsn(raw, in)
	}
	return json.Marshal(filterJSON{Prog: base64.StdEncoding.EncodeToString(raw), Flags: f.flags, Notify: f.notify})
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (f *Filter) UnmarshalJSON(b []byte) error {
	var fj filterJSON
	if err := json.Unmarshal(b, &fj); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(fj.Prog)
	if err != nil {
		return err
	}
	prog, err := decodeProg(raw)
	if err != nil {
		return err
	}
	*f = Filter{prog: prog, flags: fj.Flags, notify: fj.Notify}
	return nil
}
