package bootstrap

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onggi/onggi/image/archive"
	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/internal/diskfile"
	"github.com/onggi/onggi/image/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultMirror is used when the host's apt sources name no Debian mirror.
const DefaultMirror = "http://deb.debian.org/debian"

// DebianOptions tune Debian.
type DebianOptions struct {
	Suite    string   // "bookworm"
	Include  []string // extra packages (debootstrap --include)
	Mirror   string   // empty: the host's apt mirror (HostMirror)
	CacheDir string   // where built layers are kept (under the onggi root)
	Logf     func(format string, args ...any)
	// Debootstrap runs debootstrap; nil runs the real one (tests replace it).
	Debootstrap func(ctx context.Context, suite, dir, mirror string, include []string) error
}

// debianCache is the record kept next to a cached layer: enough to rebuild
// the same config, hence the same image ID, without debootstrap.
type debianCache struct {
	Layer   ocispec.Descriptor
	Created time.Time
	Mirror  string
	Include []string
}

// Debian stores a Debian image built with `debootstrap --variant=minbase`.
// The layer is cached in CacheDir keyed by suite, packages and mirror: a
// second run only re-reads the record (and re-ingests the cached tar if the
// store lost the blob).
func Debian(ctx context.Context, store *content.Store, opts DebianOptions) (archive.Imported, error) {
	if opts.Suite == "" {
		return archive.Imported{}, fmt.Errorf("debian suite: %w", archive.ErrInvalid)
	}
	if opts.Mirror == "" {
		opts.Mirror = HostMirror("/etc/apt")
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	include := append([]string(nil), opts.Include...)
	sort.Strings(include)
	key := cacheKey(opts.Suite, opts.Mirror, include)
	if err := os.MkdirAll(opts.CacheDir, 0o700); err != nil {
		return archive.Imported{}, fmt.Errorf("creating bootstrap cache: %w", err)
	}
	// One build per key at a time: a concurrent bootstrap waits, then
	// finds the record the first one wrote.
	lock, err := diskfile.Acquire(ctx, filepath.Join(opts.CacheDir, key+".lock"), false)
	if err != nil {
		return archive.Imported{}, fmt.Errorf("locking bootstrap cache: %w", err)
	}
	defer lock.Unlock()
	rec, err := cachedLayer(ctx, store, opts.CacheDir, key)
	if err != nil {
		opts.Logf("building debian:%s with debootstrap from %s (about a minute)", opts.Suite, opts.Mirror)
		if rec, err = buildDebian(ctx, store, opts, include, key); err != nil {
			return archive.Imported{}, err
		}
	}
	run := archive.RunConfig{}
	run.Env = []string{DefaultPath}
	run.Cmd = []string{"bash"}
	by := "onggi image bootstrap debian:" + opts.Suite + " (debootstrap --variant=minbase " + opts.Mirror
	if len(include) > 0 {
		by += " --include=" + strings.Join(include, ",")
	}
	return storeConfig(ctx, store, run, rec.Created, by+")", rec.Layer)
}

func cacheKey(suite, mirror string, include []string) string {
	h := sha256.Sum256([]byte(suite + "\n" + mirror + "\n" + strings.Join(include, ",")))
	return "debian-" + suite + "-" + hex.EncodeToString(h[:8])
}

// cachedLayer returns the cache record for key with its blob in the store.
func cachedLayer(ctx context.Context, store *content.Store, dir, key string) (debianCache, error) {
	var rec debianCache
	raw, err := os.ReadFile(filepath.Join(dir, key+".json"))
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, fmt.Errorf("cache record %s: %w", key, err)
	}
	if store.Has(rec.Layer.Digest) {
		return rec, nil
	}
	f, err := os.Open(filepath.Join(dir, key+".tar"))
	if err != nil {
		return rec, err
	}
	defer f.Close()
	return rec, store.Write(ctx, rec.Layer, f)
}

func buildDebian(ctx context.Context, store *content.Store, opts DebianOptions, include []string, key string) (debianCache, error) {
	tmp, err := os.MkdirTemp(opts.CacheDir, "rootfs-")
	if err != nil {
		return debianCache{}, fmt.Errorf("creating bootstrap dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	run := opts.Debootstrap
	if run == nil {
		run = debootstrap
	}
	if err := run(ctx, opts.Suite, tmp, opts.Mirror, include); err != nil {
		return debianCache{}, err
	}
	if err := tidyRootfs(tmp, opts.Mirror, opts.Suite); err != nil {
		return debianCache{}, err
	}
	desc, err := ingestStream(ctx, store, func(w io.Writer) error { return layer.Tar(ctx, tmp, w) })
	if err != nil {
		return debianCache{}, fmt.Errorf("storing debian layer: %w", err)
	}
	rec := debianCache{Layer: desc, Created: time.Now().UTC().Truncate(time.Second), Mirror: opts.Mirror, Include: include}
	if err := saveCache(store, opts.CacheDir, key, rec); err != nil {
		opts.Logf("warning: caching the debian layer: %v", err)
	}
	return rec, nil
}

// saveCache hard-links the layer blob into the cache (no extra space while
// the store holds it; it survives image GC) and writes the record last, so
// a record always has its tar.
func saveCache(store *content.Store, dir, key string, rec debianCache) error {
	blob, err := store.Path(rec.Layer.Digest)
	if err != nil {
		return err
	}
	tarPath := filepath.Join(dir, key+".tar")
	os.Remove(tarPath)
	if err := os.Link(blob, tarPath); err != nil {
		return fmt.Errorf("linking cached layer: %w", err)
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return diskfile.WriteAtomic(filepath.Join(dir, key+".json"), raw, 0o600)
}

func debootstrap(ctx context.Context, suite, dir, mirror string, include []string) error {
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return fmt.Errorf("debootstrap not found (apt-get install debootstrap): %w", err)
	}
	args := []string{"--variant=minbase"}
	if len(include) > 0 {
		args = append(args, "--include="+strings.Join(include, ","))
	}
	args = append(args, suite, dir, mirror)
	cmd := exec.CommandContext(ctx, "debootstrap", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := string(out)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("debootstrap %s: %w\n%s", strings.Join(args, " "), err, tail)
	}
	return nil
}

// tidyRootfs removes what must not be in an image layer (device nodes,
// host-specific files the runtime provides, apt caches, logs) and points
// apt at the mirror, roughly as Docker's official debian images are made.
func tidyRootfs(dir, mirror, suite string) error {
	for _, glob := range []string{"dev/*", "proc/*", "sys/*", "run/*", "tmp/*", "var/tmp/*",
		"var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/lib/apt/lists/*",
		"var/log/bootstrap.log", "var/log/dpkg.log", "var/log/apt/*", "var/cache/ldconfig/aux-cache",
		"etc/hostname", "etc/resolv.conf", "etc/apt/sources.list", "debootstrap"} {
		matches, _ := filepath.Glob(filepath.Join(dir, glob))
		for _, m := range matches {
			if filepath.Base(m) == "partial" || filepath.Base(m) == "lock" {
				continue
			}
			if err := os.RemoveAll(m); err != nil {
				return fmt.Errorf("tidying rootfs: %w", err)
			}
		}
	}
	files := map[string]string{
		"etc/apt/sources.list.d/debian.sources":  fmt.Sprintf("Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n", mirror, suite, suite),
		"etc/apt/apt.conf.d/docker-clean":        "DPkg::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };\nAPT::Update::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };\nDir::Cache::pkgcache \"\";\nDir::Cache::srcpkgcache \"\";\n",
		"etc/apt/apt.conf.d/docker-no-languages": "Acquire::Languages \"none\";\n",
		"etc/machine-id":                         "",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("tidying rootfs: %w", err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return fmt.Errorf("tidying rootfs: %w", err)
		}
	}
	return nil
}

// HostMirror returns the first Debian mirror (not the security archive)
// named in aptDir's sources.list and sources.list.d (one-line and deb822
// formats), so bootstrap uses the mirror apt already reaches here.
func HostMirror(aptDir string) string {
	files, _ := filepath.Glob(filepath.Join(aptDir, "sources.list.d", "*"))
	files = append([]string{filepath.Join(aptDir, "sources.list")}, files...)
	for _, f := range files {
		if m := mirrorIn(f); m != "" {
			return m
		}
	}
	return DefaultMirror
}

func mirrorIn(file string) string {
	f, err := os.Open(file)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return ""
		}
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		var uris []string
		switch {
		case len(fields) >= 3 && fields[0] == "deb":
			uris = fields[1:2]
			if strings.HasPrefix(fields[1], "[") { // deb [options] URI suite
				for i, w := range fields {
					if strings.HasSuffix(w, "]") && i+1 < len(fields) {
						uris = fields[i+1 : i+2]
						break
					}
				}
			}
		case len(fields) >= 2 && strings.EqualFold(fields[0], "URIs:"):
			uris = fields[1:]
		}
		for _, u := range uris {
			if strings.Contains(u, "://") && !strings.Contains(u, "security") {
				return strings.TrimSuffix(u, "/")
			}
		}
	}
	return ""
}
