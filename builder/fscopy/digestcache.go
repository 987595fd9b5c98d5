package fscopy

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// maxCacheEntries bounds a DigestCache file: past it, entries this process
// did not use are dropped on Save.
const maxCacheEntries = 200_000

// DigestCache memoizes file content digests across builds, keyed by host
// path and validated by the file's device, inode, size, mtime and ctime: a
// touched file is re-hashed (and yields the same digest, so the build
// cache still hits), a file whose ctime is unchanged is not read again.
// ctime cannot be set from user space, so a content change always misses.
// It is what keeps an unchanged rebuild of a large context fast. Safe for
// concurrent use; a nil *DigestCache hashes every time.
type DigestCache struct {
	mu    sync.Mutex
	file  string
	m     map[string]digestEntry
	used  map[string]bool
	dirty bool
}

type digestEntry struct {
	Dev    uint64 `json:"d"`
	Ino    uint64 `json:"i"`
	Size   int64  `json:"s"`
	Mtime  int64  `json:"m"`
	Ctime  int64  `json:"c"`
	Digest string `json:"h"`
}

// OpenDigestCache loads the cache kept in file (created by Save). A
// missing or unreadable file is an empty cache: it is only a cache.
func OpenDigestCache(file string) *DigestCache {
	c := &DigestCache{file: file, m: map[string]digestEntry{}, used: map[string]bool{}}
	if b, err := os.ReadFile(file); err == nil {
		_ = json.Unmarshal(b, &c.m)
		if c.m == nil {
			c.m = map[string]digestEntry{}
		}
	}
	return c
}

// Save writes the cache back atomically if it changed.
func (c *DigestCache) Save() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	if len(c.m) > maxCacheEntries {
		for p := range c.m {
			if !c.used[p] {
				delete(c.m, p)
			}
		}
	}
	b, err := json.Marshal(c.m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.file), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.file), ".digests-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), c.file); err != nil {
		return err
	}
	c.dirty = false
	return nil
}

func statKey(fi fs.FileInfo) (digestEntry, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return digestEntry{}, false
	}
	return digestEntry{Dev: uint64(st.Dev), Ino: uint64(st.Ino), Size: fi.Size(),
		Mtime: fi.ModTime().UnixNano(), Ctime: ctimeNs(st)}, true
}

func sameStat(a, b digestEntry) bool {
	return a.Dev == b.Dev && a.Ino == b.Ino && a.Size == b.Size && a.Mtime == b.Mtime && a.Ctime == b.Ctime
}

// digest returns the content digest of the regular file full whose lstat
// is fi, from the cache when still valid.
func (c *DigestCache) digest(full string, fi fs.FileInfo) (string, error) {
	if c == nil {
		return fileDigest(full)
	}
	key, ok := statKey(fi)
	if !ok {
		return fileDigest(full)
	}
	c.mu.Lock()
	e, hit := c.m[full]
	c.used[full] = true
	c.mu.Unlock()
	if hit && e.Digest != "" && sameStat(e, key) {
		return e.Digest, nil
	}
	d, err := fileDigest(full)
	if err != nil {
		return "", err
	}
	// Re-stat: a file written while it was hashed must not be memoized
	// with the new stat and the old content.
	if fi2, err := os.Lstat(full); err == nil {
		if k2, ok := statKey(fi2); ok && sameStat(k2, key) {
			key.Digest = d
			c.mu.Lock()
			c.m[full] = key
			c.dirty = true
			c.mu.Unlock()
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return d, nil
}
