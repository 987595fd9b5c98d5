package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
)

// GCOptions tune a garbage collection.
type GCOptions struct {
	// DryRun reports what would be deleted and deletes nothing.
	DryRun bool
	// Grace keeps every blob modified more recently than this. Pushes
	// refresh the blobs they reference, so a push that is uploading blobs or
	// about to reference existing ones is never robbed. It must exceed the
	// store's one-minute refresh interval; the CLI defaults to an hour.
	Grace time.Duration
	// UploadTTL removes upload sessions idle for longer than this.
	UploadTTL time.Duration
	// Log, if set, receives one line per deleted (or, dry, deletable) item.
	Log io.Writer
}

// GCResult counts what a collection found.
type GCResult struct {
	Manifests    int   // manifests kept (the marked roots)
	BlobsKept    int   // blobs referenced or within the grace period
	BlobsDeleted int   // unreferenced blobs deleted (or deletable, when dry)
	BytesFreed   int64 // their size
	Uploads      int   // stale upload sessions removed
}

// GC deletes blobs no manifest in any repository references.
//
// Protocol with concurrent pushes: a push touches (refreshes the mtime of)
// every blob it references before writing its manifest, and a new upload is
// renamed into place with a fresh mtime. gc deletes only blobs older than
// Grace, and does so by first renaming the blob into trash/ and then looking
// at its mtime again: a touch that happened before the rename shows there and
// the blob is put back; a touch after the rename fails, so the push reports
// the blob unknown instead of writing a manifest that points at nothing.
func (s *Store) GC(ctx context.Context, o GCOptions) (GCResult, error) {
	var res GCResult
	marked, err := s.mark(ctx, &res)
	if err != nil {
		return res, err
	}
	deleted, err := s.sweep(ctx, marked, o, &res)
	if err != nil {
		return res, err
	}
	if !o.DryRun {
		s.unlinkDeleted(deleted, o.Grace)
	}
	if err := s.purgeUploads(o, &res); err != nil {
		return res, err
	}
	return res, nil
}

// references lists the digests a manifest or index points to.
type references struct {
	Config    *struct{ Digest digest.Digest }  `json:"config"`
	Layers    []struct{ Digest digest.Digest } `json:"layers"`
	Blobs     []struct{ Digest digest.Digest } `json:"blobs"`
	Manifests []struct{ Digest digest.Digest } `json:"manifests"`
}

func (s *Store) mark(ctx context.Context, res *GCResult) (map[digest.Digest]bool, error) {
	marked := map[digest.Digest]bool{}
	repos, err := s.Repositories()
	if err != nil {
		return nil, err
	}
	for _, repo := range repos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, d := range s.revisions(repo) {
			res.Manifests++
			marked[d] = true
			raw, err := os.ReadFile(s.blobPath(d))
			if err != nil {
				continue
			}
			var refs references
			if json.Unmarshal(raw, &refs) != nil {
				continue
			}
			if refs.Config != nil {
				marked[refs.Config.Digest] = true
			}
			for _, l := range append(append(refs.Layers, refs.Blobs...), refs.Manifests...) {
				marked[l.Digest] = true
			}
		}
	}
	return marked, nil
}

// revisions lists the manifests stored in repo.
func (s *Store) revisions(repo string) []digest.Digest {
	return listDigests(s.repoPath(repo, "_manifests", "revisions"))
}

// listDigests reads a <dir>/<alg>/<hex> tree.
func listDigests(dir string) []digest.Digest {
	var out []digest.Digest
	algs, _ := os.ReadDir(dir)
	for _, a := range algs {
		ents, _ := os.ReadDir(filepath.Join(dir, a.Name()))
		for _, e := range ents {
			if d, err := ParseDigest(a.Name() + ":" + e.Name()); err == nil {
				out = append(out, d)
			}
		}
	}
	return out
}

func (s *Store) sweep(ctx context.Context, marked map[digest.Digest]bool, o GCOptions, res *GCResult) (map[digest.Digest]bool, error) {
	deleted := map[digest.Digest]bool{}
	base := filepath.Join(s.root, "blobs")
	cutoff := time.Now().Add(-o.Grace)
	err := filepath.WalkDir(base, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return nil // removed concurrently
		}
		if strings.HasPrefix(e.Name(), ".tmp-") {
			if fi.ModTime().Before(cutoff) && !o.DryRun {
				_ = os.Remove(p) // left by a crash in writeFileAtomic
			}
			return nil
		}
		alg := filepath.Base(filepath.Dir(filepath.Dir(p)))
		d, perr := ParseDigest(alg + ":" + e.Name())
		if perr != nil || marked[d] || !fi.ModTime().Before(cutoff) {
			res.BlobsKept++
			return nil
		}
		if o.DryRun || s.removeBlob(p, cutoff) {
			deleted[d] = true
			res.BlobsDeleted++
			res.BytesFreed += fi.Size()
			if o.Log != nil {
				fmt.Fprintf(o.Log, "delete blob %s (%d bytes)\n", d, fi.Size())
			}
		} else {
			res.BlobsKept++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sweeping blobs: %w", err)
	}
	return deleted, nil
}

// removeBlob deletes blob file p unless a push touched it; see GC.
func (s *Store) removeBlob(p string, cutoff time.Time) bool {
	trash := filepath.Join(s.root, "trash")
	if err := os.MkdirAll(trash, 0o755); err != nil {
		return false
	}
	tp := filepath.Join(trash, filepath.Base(p)+"-"+fmt.Sprint(time.Now().UnixNano()))
	if err := os.Rename(p, tp); err != nil {
		return false
	}
	fi, err := os.Stat(tp)
	if err == nil && !fi.ModTime().Before(cutoff) {
		_ = os.Rename(tp, p) // touched while we looked: in use after all
		return false
	}
	_ = os.Remove(tp)
	return true
}

// unlinkDeleted removes repository links to deleted blobs. Links younger
// than the grace period are kept: they belong to an upload that stored the
// blob again after gc removed it.
func (s *Store) unlinkDeleted(deleted map[digest.Digest]bool, grace time.Duration) {
	if len(deleted) == 0 {
		return
	}
	repos, _ := s.Repositories()
	cutoff := time.Now().Add(-grace)
	for _, repo := range repos {
		for _, d := range listDigests(s.repoPath(repo, "_layers")) {
			if !deleted[d] {
				continue
			}
			p := s.layerLink(repo, d)
			if fi, err := os.Stat(p); err == nil && fi.ModTime().Before(cutoff) && !s.BlobExists(d) {
				_ = os.Remove(p)
			}
		}
	}
}

func (s *Store) purgeUploads(o GCOptions, res *GCResult) error {
	if o.UploadTTL <= 0 {
		return nil
	}
	ents, err := os.ReadDir(filepath.Join(s.root, "uploads"))
	if err != nil {
		return fmt.Errorf("listing uploads: %w", err)
	}
	cutoff := time.Now().Add(-o.UploadTTL)
	for _, e := range ents {
		fi, err := os.Stat(filepath.Join(s.uploadDir(e.Name()), "data"))
		if err == nil && !fi.ModTime().Before(cutoff) {
			continue
		}
		if err != nil {
			if di, derr := e.Info(); derr != nil || !di.ModTime().Before(cutoff) {
				continue
			}
		}
		res.Uploads++
		if o.Log != nil {
			fmt.Fprintf(o.Log, "delete upload %s\n", e.Name())
		}
		if !o.DryRun {
			_ = os.RemoveAll(s.uploadDir(e.Name()))
		}
	}
	return nil
}
