package flock

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLockExcludes: a second open of the same file waits until the first
// holder closes its file.
func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	a, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Lock(a); err != nil {
		t.Fatal(err)
	}
	b, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := make(chan error, 1)
	go func() { got <- Lock(b) }()
	select {
	case err := <-got:
		t.Fatalf("second lock taken while the first is held (%v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	a.Close()
	if err := <-got; err != nil {
		t.Fatalf("second lock after release: %v", err)
	}
}
