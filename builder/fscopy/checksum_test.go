package fscopy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestChecksum(t *testing.T) {
	ctxDir := t.TempDir()
	mkTree(t, ctxDir, map[string]string{"app/main.go": "package main", "app/lib/x": "X", "app/ln": "l:lib/x", "other": "O", "app/ignored": "I"})
	src := Source{Root: ctxDir, Context: true, Ignore: func(rel string) bool { return rel == "app/ignored" }}
	o := Options{Srcs: []string{"app"}, Dest: "/src/"}
	sum := func() string {
		t.Helper()
		d, err := Checksum(src, o)
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	base := sum()
	if !strings.HasPrefix(base, "sha256:") || sum() != base {
		t.Fatalf("unstable: %s", base)
	}
	steps := []struct {
		name   string
		change func()
		same   bool
	}{
		{"mtime only", func() {
			old := time.Now().Add(-48 * time.Hour)
			os.Chtimes(filepath.Join(ctxDir, "app/main.go"), old, old)
			os.Chtimes(filepath.Join(ctxDir, "app/lib"), old, old)
		}, true},
		{"file outside the source", func() { os.WriteFile(filepath.Join(ctxDir, "other"), []byte("changed"), 0o644) }, true},
		{"ignored file", func() { os.WriteFile(filepath.Join(ctxDir, "app/ignored"), []byte("changed"), 0o644) }, true},
		{"content", func() { os.WriteFile(filepath.Join(ctxDir, "app/main.go"), []byte("package lib"), 0o644) }, false},
		{"mode", func() { os.Chmod(filepath.Join(ctxDir, "app/lib/x"), 0o755) }, false},
		{"dir mode", func() { os.Chmod(filepath.Join(ctxDir, "app/lib"), 0o700) }, false},
		{"symlink target", func() {
			os.Remove(filepath.Join(ctxDir, "app/ln"))
			os.Symlink("main.go", filepath.Join(ctxDir, "app/ln"))
		}, false},
		{"new file", func() { os.WriteFile(filepath.Join(ctxDir, "app/new"), nil, 0o644) }, false},
		{"rename", func() { os.Rename(filepath.Join(ctxDir, "app/new"), filepath.Join(ctxDir, "app/new2")) }, false},
		{"chown option", func() { o.Chown = "1:1" }, false},
		{"chmod option", func() { o.Chmod = "700" }, false},
		{"dest", func() { o.Dest = "/other/" }, false},
	}
	prev := base
	for _, s := range steps {
		s.change()
		got := sum()
		if (got == prev) != s.same {
			t.Errorf("%s: checksum changed=%t, want changed=%t", s.name, got != prev, !s.same)
		}
		prev = got
	}
}

func TestChecksumErrorsLikeCopy(t *testing.T) {
	ctxDir := t.TempDir()
	if _, err := Checksum(Source{Root: ctxDir, Context: true}, Options{Srcs: []string{"missing"}, Dest: "/"}); err == nil ||
		!strings.Contains(err.Error(), `failed to compute cache key: "/missing": not found`) {
		t.Fatalf("err = %v", err)
	}
}
