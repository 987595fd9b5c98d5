package diskfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLockExclusion(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.lock")
	ex, err := Acquire(context.Background(), p, false)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := TryAcquire(p, true); err != nil || l != nil {
		t.Fatalf("shared lock granted while exclusive held: %v %v", l, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := Acquire(ctx, p, false); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second exclusive lock: %v", err)
	}
	ex.Unlock()
	s1, err := TryAcquire(p, true)
	if err != nil || s1 == nil {
		t.Fatalf("shared after unlock: %v", err)
	}
	s2, err := TryAcquire(p, true)
	if err != nil || s2 == nil {
		t.Fatalf("two shared locks: %v", err)
	}
	if l, _ := TryAcquire(p, false); l != nil {
		t.Fatal("exclusive granted while shared held")
	}
	s1.Unlock()
	s2.Unlock()
	s2.Unlock() // idempotent
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	for _, v := range []string{"one", "two"} {
		if err := WriteAtomic(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if string(b) != v {
			t.Fatalf("got %q want %q", b, v)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temp files left: %v", ents)
	}
}
