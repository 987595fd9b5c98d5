package fscopy

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDigestCache(t *testing.T) {
	ctxDir := t.TempDir()
	mkTree(t, ctxDir, map[string]string{"a/x": "one", "a/y": "two"})
	file := filepath.Join(t.TempDir(), "digests.json")
	o := Options{Srcs: []string{"a"}, Dest: "/a/"}
	plain, err := Checksum(Source{Root: ctxDir, Context: true}, o)
	if err != nil {
		t.Fatal(err)
	}
	sum := func() string {
		t.Helper()
		dc := OpenDigestCache(file)
		d, err := Checksum(Source{Root: ctxDir, Context: true, Digests: dc}, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := dc.Save(); err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	if got := sum(); got != plain.String() {
		t.Fatalf("cached checksum %s, plain %s", got, plain)
	}
	if dc := OpenDigestCache(file); len(dc.m) != 2 {
		t.Fatalf("saved %d entries, want 2", len(dc.m))
	}
	if got := sum(); got != plain.String() {
		t.Fatal("second (hit) checksum differs")
	}
	// Same size, mtime put back: ctime still tells the change.
	x := filepath.Join(ctxDir, "a/x")
	fi, _ := os.Stat(x)
	os.WriteFile(x, []byte("ONE"), 0o644)
	os.Chtimes(x, fi.ModTime(), fi.ModTime())
	changed := sum()
	if changed == plain.String() {
		t.Fatal("content change hidden by the digest cache")
	}
	// A touch re-hashes to the same digest.
	later := time.Now().Add(time.Hour)
	os.Chtimes(x, later, later)
	if got := sum(); got != changed {
		t.Fatal("touch changed the checksum")
	}
	var nilCache *DigestCache
	if err := nilCache.Save(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkChecksum compares hashing a 20 MB, 1000-file context with and
// without a warm DigestCache (an unchanged rebuild).
func BenchmarkChecksum(b *testing.B) {
	ctxDir := b.TempDir()
	blob := make([]byte, 20<<10)
	for i := range 1000 {
		p := filepath.Join(ctxDir, "src", string(rune('a'+i%26)), "f"+time.Duration(i).String())
		os.MkdirAll(filepath.Dir(p), 0o755)
		blob[0] = byte(i)
		os.WriteFile(p, blob, 0o644)
	}
	o := Options{Srcs: []string{"."}, Dest: "/app/"}
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			Checksum(Source{Root: ctxDir, Context: true}, o)
		}
	})
	b.Run("cached", func(b *testing.B) {
		dc := OpenDigestCache(filepath.Join(b.TempDir(), "d.json"))
		Checksum(Source{Root: ctxDir, Context: true, Digests: dc}, o)
		for b.Loop() {
			Checksum(Source{Root: ctxDir, Context: true, Digests: dc}, o)
		}
	})
}

// BenchmarkCopy copies a 1000-file, 20 MB context into an empty root.
func BenchmarkCopy(b *testing.B) {
	ctxDir := b.TempDir()
	blob := make([]byte, 20<<10)
	for i := range 1000 {
		p := filepath.Join(ctxDir, "src", string(rune('a'+i%26)), "f"+time.Duration(i).String())
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, blob, 0o644)
	}
	for b.Loop() {
		dest := b.TempDir()
		if err := Copy(dest, Source{Root: ctxDir, Context: true}, Options{Srcs: []string{"."}, Dest: "/app/"}); err != nil {
			b.Fatal(err)
		}
	}
}
