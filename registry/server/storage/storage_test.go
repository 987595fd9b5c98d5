package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func randomBlob(t *testing.T, n int) ([]byte, digest.Digest) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b, digest.FromBytes(b)
}

func TestConcurrentUploadsOfSameContent(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, d := randomBlob(t, 1<<20)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.PutBlob("r", d, int64(len(data)), bytes.NewReader(data))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f, _, err := s.OpenBlob("r", d)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := digest.SHA256.FromReader(f); got != d {
		t.Fatalf("stored content %s, want %s", got, d)
	}
}

// storeImage stores a one-layer manifest in repo and returns its digests.
func storeImage(t *testing.T, s *Store, repo, tag string) (manifest, config, layer digest.Digest) {
	cfgb, config := randomBlob(t, 100)
	lb, layer := randomBlob(t, 1000)
	for _, b := range [][]byte{cfgb, lb} {
		if err := s.PutBlob(repo, digest.FromBytes(b), int64(len(b)), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: config, Size: 100},
		Layers: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayer, Digest: layer, Size: 1000}}}
	m.SchemaVersion = 2
	raw, _ := json.Marshal(m)
	manifest = digest.FromBytes(raw)
	err := s.PutManifest(repo, Manifest{Digest: manifest, MediaType: m.MediaType, Content: raw},
		PutManifestOptions{Tags: []string{tag}, Blobs: []digest.Digest{config, layer}})
	if err != nil {
		t.Fatal(err)
	}
	return manifest, config, layer
}

func age(t *testing.T, s *Store, ds ...digest.Digest) {
	old := time.Now().Add(-2 * time.Hour)
	for _, d := range ds {
		if err := os.Chtimes(s.blobPath(d), old, old); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGC(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	keepM, keepC, keepL := storeImage(t, s, "a", "v1")
	dropM, dropC, dropL := storeImage(t, s, "b", "v1")
	if err := s.DeleteManifest("b", dropM); err != nil {
		t.Fatal(err)
	}
	_, fresh := randomBlob(t, 10)
	_ = s.PutBlob("b", fresh, -1, bytes.NewReader(nil)) // wrong digest: refused, nothing stored
	freshData, freshD := randomBlob(t, 10)
	if err := s.PutBlob("b", freshD, 10, bytes.NewReader(freshData)); err != nil {
		t.Fatal(err)
	}
	age(t, s, keepM, keepC, keepL, dropM, dropC, dropL)

	ctx := context.Background()
	res, err := s.GC(ctx, GCOptions{DryRun: true, Grace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.BlobsDeleted != 3 {
		t.Fatalf("dry run would delete %d blobs, want 3", res.BlobsDeleted)
	}
	for _, d := range []digest.Digest{dropM, dropC, dropL} {
		if !s.BlobExists(d) {
			t.Fatal("dry run deleted a blob")
		}
	}
	res, err = s.GC(ctx, GCOptions{Grace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []digest.Digest{dropM, dropC, dropL} {
		if s.BlobExists(d) {
			t.Fatalf("unreferenced %s survived gc", d)
		}
	}
	for _, d := range []digest.Digest{keepM, keepC, keepL, freshD} {
		if !s.BlobExists(d) {
			t.Fatalf("gc deleted %s, which is referenced or recent", d)
		}
	}
	if s.BlobLinked("b", dropL) {
		t.Fatal("link to a deleted blob kept")
	}
	if _, err := s.GetManifest("a", keepM); err != nil {
		t.Fatal(err)
	}
}

// TestGCSparesBlobsAPushReferences: a client that finds an old, unreferenced
// blob present (HEAD) and then pushes a manifest using it must not lose it.
func TestGCSparesBlobsAPushReferences(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, c, l := storeImage(t, s, "a", "v1")
	raw, err := os.ReadFile(s.blobPath(m))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteManifest("a", m); err != nil {
		t.Fatal(err)
	}
	age(t, s, m, c, l)
	if _, err := s.StatBlob("a", l); err != nil { // the client's HEAD
		t.Fatal(err)
	}
	res, err := s.GC(context.Background(), GCOptions{Grace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !s.BlobExists(l) || res.BlobsDeleted != 2 {
		t.Fatalf("gc deleted the blob a push just checked (deleted %d)", res.BlobsDeleted)
	}
	// Once gc has taken a linked blob, a manifest referencing it is refused
	// instead of pointing at nothing.
	age(t, s, l)
	s.removeBlob(s.blobPath(l), time.Now().Add(-time.Hour))
	err = s.PutManifest("a", Manifest{Digest: m, Content: raw},
		PutManifestOptions{Blobs: []digest.Digest{l}})
	if !errors.Is(err, ErrManifestBlobUnknown) {
		t.Fatal("manifest referencing a just-collected blob accepted")
	}
}

func TestStaleUploadsPurged(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old, _ := s.StartUpload("r")
	live, _ := s.StartUpload("r")
	past := time.Now().Add(-48 * time.Hour)
	_ = os.Chtimes(s.uploadDir(old.ID)+"/data", past, past)
	res, err := s.GC(context.Background(), GCOptions{Grace: time.Hour, UploadTTL: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Uploads != 1 {
		t.Fatalf("purged %d uploads, want 1", res.Uploads)
	}
	if _, err := s.StatUpload("r", live.ID); err != nil {
		t.Fatal("live upload purged")
	}
}
