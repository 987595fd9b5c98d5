package fscopy

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// mkTree creates entries under dir: "d" a directory, "l:<target>" a
// symlink, anything else a file with that content (mode 0644).
func mkTree(t testing.TB, dir string, spec map[string]string) {
	t.Helper()
	names := make([]string, 0, len(spec))
	for n := range spec {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := spec[n]
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case v == "d":
			err = os.MkdirAll(p, 0o755)
		case strings.HasPrefix(v, "l:"):
			err = os.Symlink(v[2:], p)
		default:
			err = os.WriteFile(p, []byte(v), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// tree describes every path under dir: "d 755 0:0", "f 644 0:0 content",
// "l target".
func tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		own := fmt.Sprintf("%d:%d", st.Uid, st.Gid)
		switch {
		case fi.IsDir():
			out[rel] = fmt.Sprintf("d %o %s", permBits(fi.Mode()), own)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "l " + target
		default:
			b, _ := os.ReadFile(p)
			out[rel] = fmt.Sprintf("f %o %s %s", permBits(fi.Mode()), own, b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (chown)")
	}
}
