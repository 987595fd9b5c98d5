package fscopy

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onggi/onggi/errdefs"
)

// tarOf builds a tar with the files name → content (mode 0640, owner 5:6).
func tarOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range []string{"top/", "top/one", "two"} {
		if c, ok := files[n]; ok {
			hdr := &tar.Header{Name: n, Mode: 0o640, Uid: 5, Gid: 6, Size: int64(len(c)), Typeflag: tar.TypeReg}
			if strings.HasSuffix(n, "/") {
				hdr = &tar.Header{Name: n, Mode: 0o755, Typeflag: tar.TypeDir}
			}
			if err := tw.WriteHeader(hdr); err != nil {
				t.Fatal(err)
			}
			tw.Write([]byte(c))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func compressWith(t testing.TB, tool string, data []byte) []byte {
	t.Helper()
	switch tool {
	case "":
		return data
	case "gzip-go":
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		return b.Bytes()
	}
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed", tool)
	}
	cmd := exec.Command(tool, "-c")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return out
}

func TestAddExtractsLocalTars(t *testing.T) {
	requireRoot(t)
	raw := tarOf(t, map[string]string{"top/": "", "top/one": "1", "two": "2"})
	for _, comp := range []string{"", "gzip-go", "bzip2", "xz", "zstd"} {
		t.Run("tar+"+comp, func(t *testing.T) {
			ctxDir := t.TempDir()
			os.WriteFile(filepath.Join(ctxDir, "a.tar.x"), compressWith(t, comp, raw), 0o644)
			dest := newRootfs(t)
			err := Copy(dest, Source{Root: ctxDir, Context: true}, Options{Srcs: []string{"a.tar.x"}, Dest: "/out", ExtractTar: true})
			if err != nil {
				t.Fatal(err)
			}
			got := tree(t, dest)
			if got["out/top/one"] != "f 640 5:6 1" || got["out/two"] != "f 640 5:6 2" {
				t.Fatalf("not extracted: %v", got)
			}
		})
	}
}

func TestAddChownsExtractedEntries(t *testing.T) {
	requireRoot(t)
	ctxDir := t.TempDir()
	os.WriteFile(filepath.Join(ctxDir, "a.tar"), tarOf(t, map[string]string{"top/": "", "top/one": "1"}), 0o644)
	dest := newRootfs(t)
	err := Copy(dest, Source{Root: ctxDir, Context: true}, Options{Srcs: []string{"a.tar"}, Dest: "/existing/", ExtractTar: true, Chown: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	got := tree(t, dest)
	if got["existing/top/one"] != "f 640 1234:100 1" || got["existing/top"] != "d 755 1234:100" || got["existing/sub"] != "d 755 0:0" {
		t.Fatalf("got %v", got)
	}
}

func TestAddCopiesNonTarsAndCOPYNeverExtracts(t *testing.T) {
	requireRoot(t)
	ctxDir := t.TempDir()
	gz := compressWith(t, "gzip-go", []byte("not a tar"))
	os.WriteFile(filepath.Join(ctxDir, "plain.gz"), gz, 0o644)
	os.WriteFile(filepath.Join(ctxDir, "a.tar"), tarOf(t, map[string]string{"two": "2"}), 0o644)
	dest := newRootfs(t)
	src := Source{Root: ctxDir, Context: true}
	if err := Copy(dest, src, Options{Srcs: []string{"plain.gz"}, Dest: "/out/", ExtractTar: true}); err != nil {
		t.Fatal(err)
	}
	if err := Copy(dest, src, Options{Srcs: []string{"a.tar"}, Dest: "/out/"}); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dest)
	if got["out/plain.gz"] != "f 644 0:0 "+string(gz) || !strings.HasPrefix(got["out/a.tar"], "f 644 0:0 ") {
		t.Fatalf("got %v", got)
	}
}

func TestAddTarCannotEscape(t *testing.T) {
	requireRoot(t)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "../evil", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	ctxDir := t.TempDir()
	os.WriteFile(filepath.Join(ctxDir, "evil.tar"), buf.Bytes(), 0o644)
	dest := newRootfs(t)
	err := Copy(dest, Source{Root: ctxDir, Context: true}, Options{Srcs: []string{"evil.tar"}, Dest: "/out", ExtractTar: true})
	if !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("err = %v, want invalid", err)
	}
	if _, err := os.Stat(filepath.Join(dest, "evil")); err == nil {
		t.Fatal("entry escaped the destination")
	}
}

func TestAddURL(t *testing.T) {
	requireRoot(t)
	lm := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Last-Modified", lm.Format(http.TimeFormat))
		w.Write(tarOf(t, map[string]string{"two": "2"})) // a tar: never extracted
	}))
	defer srv.Close()
	dest := newRootfs(t)
	o := Options{Srcs: []string{srv.URL + "/files/remote.tar"}, Dest: "/dl/", ExtractTar: true}
	if err := Copy(dest, Source{}, o); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dest, "dl/remote.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || !fi.ModTime().Equal(lm) {
		t.Fatalf("mode %v mtime %v, want 0600 %v", fi.Mode(), fi.ModTime(), lm)
	}
	if _, err := os.Stat(filepath.Join(dest, "dl/two")); err == nil {
		t.Fatal("remote tar was extracted")
	}
	// A URL without a file name, into a directory.
	if err := Copy(dest, Source{}, Options{Srcs: []string{srv.URL}, Dest: "/dl/", ExtractTar: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "dl/__unnamed__")); err != nil {
		t.Fatal(err)
	}
	// A file name for dest.
	if err := Copy(dest, Source{}, Options{Srcs: []string{srv.URL + "/x"}, Dest: "/named", ExtractTar: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "named")); err != nil {
		t.Fatal(err)
	}
	err = Copy(dest, Source{}, Options{Srcs: []string{srv.URL + "/missing"}, Dest: "/dl/", ExtractTar: true})
	if err == nil || !strings.Contains(err.Error(), "failed to download "+srv.URL+"/missing") {
		t.Fatalf("404: err = %v", err)
	}
}

func TestAddURLUnreachable(t *testing.T) {
	dest := t.TempDir()
	_, err := Checksum(Source{}, Options{Srcs: []string{"http://127.0.0.1:1/file"}, Dest: "/x/", ExtractTar: true})
	if err == nil || !strings.Contains(err.Error(), "failed to download http://127.0.0.1:1/file") || !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	err = Copy(dest, Source{}, Options{Srcs: []string{"http://127.0.0.1:1/file"}, Dest: "/x/", ExtractTar: true})
	if err == nil || !strings.Contains(err.Error(), "failed to download http://127.0.0.1:1/file") {
		t.Fatalf("err = %v", err)
	}
}
