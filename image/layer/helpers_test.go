//go:build linux

package layer

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ent is one entry of a test tar.
type ent struct {
	name, body, link string
	typ              byte
	mode             int64
	uid, gid         int
	major, minor     int64
	xattrs           map[string]string
}

var testTime = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

func file(name, body string) ent { return ent{name: name, body: body, typ: tar.TypeReg, mode: 0o644} }
func dir(name string) ent        { return ent{name: name, typ: tar.TypeDir, mode: 0o755} }
func symlink(name, target string) ent {
	return ent{name: name, link: target, typ: tar.TypeSymlink, mode: 0o777}
}
func hardlink(name, target string) ent { return ent{name: name, link: target, typ: tar.TypeLink} }
func whiteout(name string) ent         { return file(name, "") }

// mkTar builds an uncompressed tar of entries.
func mkTar(t testing.TB, entries ...ent) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid,
			Size: int64(len(e.body)), ModTime: testTime, Devmajor: e.major, Devminor: e.minor, Format: tar.FormatPAX}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		for k, v := range e.xattrs {
			if h.PAXRecords == nil {
				h.PAXRecords = map[string]string{}
			}
			h.PAXRecords["SCHILY.xattr."+k] = v
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// treeState describes a directory tree for comparisons: one line per
// entry with type, mode, owner, size, content hash, link target, device,
// mtime (optional) and xattrs.
func treeState(t testing.TB, root string, withTimes bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%v uid=%d gid=%d", fi.Mode(), st.Uid, st.Gid)
		switch {
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			desc += fmt.Sprintf(" size=%d sha=%x nlink=%d", len(b), sha256.Sum256(b), st.Nlink)
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			desc += " -> " + l
		case fi.Mode()&fs.ModeDevice != 0:
			desc += fmt.Sprintf(" dev=%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		if withTimes && rel != "." {
			desc += " mtime=" + fi.ModTime().UTC().Format(time.RFC3339Nano)
		}
		if xa, _ := listXattrs(p); len(xa) > 0 {
			keys := make([]string, 0, len(xa))
			for k := range xa {
				keys = append(keys, k+"="+xa[k])
			}
			sort.Strings(keys)
			desc += " xattrs=" + strings.Join(keys, ",")
		}
		if isOpaqueDir(p) {
			desc += " opaque"
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffStates(a, b map[string]string) string {
	var msgs []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			msgs = append(msgs, fmt.Sprintf("- %s: %s", k, v))
		} else if v != w {
			msgs = append(msgs, fmt.Sprintf("~ %s: %s => %s", k, v, w))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			msgs = append(msgs, fmt.Sprintf("+ %s: %s", k, v))
		}
	}
	sort.Strings(msgs)
	return strings.Join(msgs, "\n")
}

func isRoot() bool { return os.Geteuid() == 0 }

func tarNames(t testing.TB, data []byte) map[string]bool {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	out := map[string]bool{}
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		out[strings.TrimSuffix(h.Name, "/")] = true
	}
	return out
}
