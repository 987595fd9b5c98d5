package cli

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSplitCpArg(t *testing.T) {
	for arg, want := range map[string][2]string{
		"web:/etc/hosts": {"web", "/etc/hosts"},
		"web:rel/path":   {"web", "rel/path"},
		"web:":           {"web", ""},
		"/abs/a:b":       {"", "/abs/a:b"},
		"./file:name":    {"", "./file:name"},
		"local/file":     {"", "local/file"},
		"-":              {"", "-"},
	} {
		c, p := splitCpArg(arg)
		if c != want[0] || p != want[1] {
			t.Errorf("%q: (%q, %q), want %v", arg, c, p, want)
		}
	}
}

func TestCpLocalTarget(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dst             string
		srcDir, content bool
		want            string // "" = error
	}{
		{file, false, false, file},                     // file over file
		{dir, false, false, filepath.Join(dir, "src")}, // file into dir
		{filepath.Join(dir, "new"), false, false, filepath.Join(dir, "new")},
		{filepath.Join(dir, "new") + "/", false, false, ""}, // must exist
		{filepath.Join(dir, "no/such/x"), false, false, ""}, // parent must exist
		{dir, true, false, filepath.Join(dir, "src")},       // dir into dir
		{dir, true, true, dir},                              // dir/. into dir
		{filepath.Join(dir, "new"), true, false, filepath.Join(dir, "new")},
		{file, true, false, ""}, // dir over file
		{file + "/", false, false, ""},
	} {
		got, err := cpLocalTarget(tc.dst, tc.srcDir, tc.content, "src")
		if tc.want == "" {
			if err == nil {
				t.Errorf("%+v: no error (got %q)", tc, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%+v: %q, %v", tc, got, err)
		}
	}
}

type tarEntry struct {
	name, link, body string
	kind             byte
}

func makeTar(t *testing.T, entries []tarEntry) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.kind, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body))}
		if e.kind == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	return &buf
}

func TestTarExtractRebases(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "copy")
	x := &tarExtractor{target: target, srcIsDir: true, srcBase: "data"}
	_, err := x.extract(makeTar(t, []tarEntry{
		{name: "data/", kind: tar.TypeDir},
		{name: "data/a.txt", kind: tar.TypeReg, body: "hello"},
		{name: "data/sub/", kind: tar.TypeDir},
		{name: "data/sub/link", kind: tar.TypeSymlink, link: "../a.txt"},
		{name: "data/hard", kind: tar.TypeLink, link: "data/a.txt"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(target, "sub/link")); err != nil || string(b) != "hello" {
		t.Errorf("link: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(target, "hard")); err != nil || string(b) != "hello" {
		t.Errorf("hard link: %q %v", b, err)
	}
	// a content archive ("dir/." rooted at ".") lands in the target too
	x = &tarExtractor{target: filepath.Join(dir, "content"), srcIsDir: true, srcBase: "."}
	if err := os.Mkdir(filepath.Join(dir, "content"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := x.extract(makeTar(t, []tarEntry{{name: "./", kind: tar.TypeDir}, {name: "./b", kind: tar.TypeReg, body: "b"}})); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "content/b")); err != nil {
		t.Error(err)
	}
}

func TestTarExtractFileRenamed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "renamed")
	x := &tarExtractor{target: target, srcBase: "hosts"}
	if _, err := x.extract(makeTar(t, []tarEntry{{name: "hosts", kind: tar.TypeReg, body: "127.0.0.1"}})); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "127.0.0.1" {
		t.Errorf("content %q", b)
	}
}

// Crafted archives must not write outside the target's directory.
func TestTarExtractStaysInside(t *testing.T) {
	for name, entries := range map[string][]tarEntry{
		"dotdot": {{name: "data/", kind: tar.TypeDir}, {name: "data/../../evil", kind: tar.TypeReg, body: "x"}},
		"symlink": {
			{name: "data/", kind: tar.TypeDir},
			{name: "data/esc", kind: tar.TypeSymlink, link: "../../outside"},
			{name: "data/esc/evil", kind: tar.TypeReg, body: "x"},
		},
		"hardlink": {{name: "data/", kind: tar.TypeDir}, {name: "data/h", kind: tar.TypeLink, link: "../../outside/secret"}},
	} {
		t.Run(name, func(t *testing.T) {
			top := t.TempDir()
			outside := filepath.Join(top, "outside")
			os.Mkdir(outside, 0o755)
			os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600)
			dest := filepath.Join(top, "a", "b")
			os.MkdirAll(dest, 0o755)
			x := &tarExtractor{target: filepath.Join(dest, "data"), srcIsDir: true, srcBase: "data"}
			if _, err := x.extract(makeTar(t, entries)); err == nil {
				t.Error("crafted archive extracted without error")
			}
			for _, p := range []string{filepath.Join(top, "evil"), filepath.Join(top, "a", "evil"), filepath.Join(outside, "evil")} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s written outside the destination", p)
				}
			}
		})
	}
}

func TestTarWriterRoundTrip(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "d/e"), 0o755)
	os.WriteFile(filepath.Join(src, "d/e/f"), []byte("content"), 0o640)
	os.Symlink("e/f", filepath.Join(src, "d/l"))
	var buf bytes.Buffer
	tw := &tarWriter{}
	if err := tw.write(&buf, filepath.Join(src, "d"), "dest"); err != nil {
		t.Fatal(err)
	}
	if tw.copied != int64(len("content")) {
		t.Errorf("copied %d", tw.copied)
	}
	tr := tar.NewReader(&buf)
	names := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names[h.Name] = h
	}
	for _, n := range []string{"dest/", "dest/e/", "dest/e/f", "dest/l"} {
		if names[n] == nil {
			t.Errorf("missing %s in %v", n, names)
		}
	}
	if h := names["dest/e/f"]; h != nil && (h.Uid != 0 || h.Mode&0o777 != 0o640) {
		t.Errorf("header %+v", h)
	}
	if h := names["dest/l"]; h != nil && h.Linkname != "e/f" {
		t.Errorf("symlink %q", h.Linkname)
	}
}

func TestTarExtractWithoutTopEntry(t *testing.T) {
	for name, entries := range map[string][]tarEntry{
		"named":   {{name: "data/a", kind: tar.TypeReg, body: "a"}, {name: "data/s/b", kind: tar.TypeReg, body: "b"}},
		"content": {{name: "a", kind: tar.TypeReg, body: "a"}, {name: "s/b", kind: tar.TypeReg, body: "b"}},
	} {
		t.Run(name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "out")
			base := "data"
			if name == "content" {
				base = "."
			}
			x := &tarExtractor{target: target, srcIsDir: true, srcBase: base}
			if _, err := x.extract(makeTar(t, entries)); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"a", "s/b"} {
				if _, err := os.Stat(filepath.Join(target, p)); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
