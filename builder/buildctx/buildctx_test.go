package buildctx

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for n, c := range files {
		p := filepath.Join(dir, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIgnored(t *testing.T) {
	cases := []struct {
		name     string
		patterns string
		ignored  []string
		kept     []string
	}{
		{"none", "", nil, []string{"a", "x/y", ".dockerignore"}},
		{"simple and parents", "node_modules\n*.log\n", []string{"node_modules", "node_modules/x/y.js", "a.log"}, []string{"x/a.log", "src/main.go"}},
		{"exceptions", "*.md\n!README.md\n", []string{"CHANGES.md"}, []string{"README.md"}},
		{"exception order", "!README.md\n*.md\n", []string{"README.md", "a.md"}, nil},
		{"dir with exception inside", "docs\n!docs/keep.txt\n", []string{"docs", "docs/other"}, []string{"docs/keep.txt"}},
		{"double star", "**/*.tmp\n", []string{"a.tmp", "x/y/z.tmp"}, []string{"tmp"}},
		{"leading slash and comments", "# comment\n/secret\n\n  spaced  \n", []string{"secret", "secret/k", "spaced"}, []string{"a/secret"}},
		{"everything but", "*\n!src\n", []string{"a", "Dockerfile"}, []string{"src", "src/main.go"}},
		{"dockerfile itself", "Dockerfile\n.dockerignore\n", []string{"Dockerfile", ".dockerignore"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, map[string]string{"Dockerfile": "FROM scratch\n"})
			if tc.patterns != "" {
				write(t, dir, map[string]string{IgnoreFile: tc.patterns})
			}
			c, err := FromDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, p := range tc.ignored {
				if !c.Ignored(p) {
					t.Errorf("%s not ignored", p)
				}
			}
			for _, p := range tc.kept {
				if c.Ignored(p) {
					t.Errorf("%s ignored", p)
				}
			}
			// The Dockerfile is read even when it is ignored.
			if _, _, err := c.Dockerfile(""); err != nil {
				t.Errorf("Dockerfile: %v", err)
			}
		})
	}
}

func TestSkipDir(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{IgnoreFile: "node_modules\ndocs\n!docs/keep\nbuild\n!*/x\n"})
	c, err := FromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.SkipDir("node_modules") {
		t.Error(`"!*/x" could re-include node_modules/x: not skippable`)
	}
	if c.SkipDir("docs") || c.SkipDir("src") {
		t.Error("docs has an exception inside; src is not ignored")
	}
	write(t, dir, map[string]string{IgnoreFile: "node_modules\n!docs/keep\n"})
	c, _ = FromDir(dir)
	if !c.SkipDir("node_modules") || !c.SkipDir("node_modules/a") {
		t.Error("node_modules should be skipped")
	}
}

func TestDockerfile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"dockerfile": "FROM a\n", "sub/Build.df": "FROM b\n", "sub/Build.df.dockerignore": "x\n"})
	c, err := FromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, name, err := c.Dockerfile("")
	if err != nil || string(b) != "FROM a\n" || name != "dockerfile" {
		t.Fatalf("fallback: %q %q %v", b, name, err)
	}
	if c.Ignored("x") {
		t.Fatal("x ignored before the Dockerfile-specific ignore file is read")
	}
	b, name, err = c.Dockerfile("sub/Build.df")
	if err != nil || string(b) != "FROM b\n" || name != "Build.df" {
		t.Fatalf("-f: %q %q %v", b, name, err)
	}
	if !c.Ignored("x") {
		t.Fatal("Build.df.dockerignore not used")
	}
	abs := filepath.Join(t.TempDir(), "Outside")
	os.WriteFile(abs, []byte("FROM c\n"), 0o644)
	if b, _, err = c.Dockerfile(abs); err != nil || string(b) != "FROM c\n" {
		t.Fatalf("absolute: %q %v", b, err)
	}
	if _, _, err = c.Dockerfile("missing"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	// A relative path cannot leave the context.
	if _, _, err = c.Dockerfile("../../../../etc/passwd"); err == nil {
		t.Fatal("read a Dockerfile outside the context")
	}
	if _, err := FromDir(filepath.Join(dir, "nope")); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("missing dir: %v", err)
	}
}

type tentry struct {
	name, link string
	typ        byte
	body       string
}

func mkTar(t *testing.T, gz bool, entries ...tentry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ == tar.TypeDir {
			hdr.Mode = 0o755
		}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	if !gz {
		return buf.Bytes()
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(buf.Bytes())
	zw.Close()
	return z.Bytes()
}

func TestFromTar(t *testing.T) {
	scratch := t.TempDir()
	data := mkTar(t, true,
		tentry{name: "Dockerfile", typ: tar.TypeReg, body: "FROM x\n"},
		tentry{name: ".dockerignore", typ: tar.TypeReg, body: "src/*.log\n"},
		tentry{name: "src/", typ: tar.TypeDir},
		tentry{name: "src/a.log", typ: tar.TypeReg, body: "log"},
		tentry{name: "src/link", typ: tar.TypeSymlink, link: "../Dockerfile"},
		tentry{name: "src/hard", typ: tar.TypeLink, link: "Dockerfile"},
	)
	c, err := FromTar(bytes.NewReader(data), scratch)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := c.Dockerfile("")
	if err != nil || string(b) != "FROM x\n" {
		t.Fatalf("%q %v", b, err)
	}
	if !c.Ignored("src/a.log") {
		t.Fatal(".dockerignore of the tar not read")
	}
	if got, _ := os.ReadFile(filepath.Join(c.Dir(), "src/hard")); string(got) != "FROM x\n" {
		t.Fatalf("hard link: %q", got)
	}
	dir := c.Dir()
	c.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("Close left the unpacked context")
	}
}

func TestFromTarRejectsEscapes(t *testing.T) {
	outside := t.TempDir()
	cases := map[string][]tentry{
		"dotdot":   {{name: "../evil", typ: tar.TypeReg, body: "x"}},
		"absolute": {{name: "/tmp/evil", typ: tar.TypeReg, body: "x"}},
		"through a symlink": {
			{name: "out", typ: tar.TypeSymlink, link: outside},
			{name: "out/evil", typ: tar.TypeReg, body: "x"},
		},
		"relative symlink": {
			{name: "up", typ: tar.TypeSymlink, link: "../../../../../../" + outside},
			{name: "up/evil", typ: tar.TypeReg, body: "x"},
		},
		"hardlink outside":  {{name: "h", typ: tar.TypeLink, link: "../../../../etc/passwd"}},
		"hardlink absolute": {{name: "h", typ: tar.TypeLink, link: "/etc/passwd"}},
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			scratch := t.TempDir()
			_, err := FromTar(bytes.NewReader(mkTar(t, false, entries...)), scratch)
			if !errors.Is(err, errdefs.ErrInvalid) {
				t.Fatalf("err = %v, want invalid", err)
			}
			if _, err := os.Stat(filepath.Join(outside, "evil")); err == nil {
				t.Fatal("wrote outside the context")
			}
			if ents, _ := os.ReadDir(scratch); len(ents) != 0 {
				t.Fatalf("scratch not cleaned: %v", ents)
			}
		})
	}
}

func TestCopySource(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{IgnoreFile: "secret\n"})
	c, _ := FromDir(dir)
	src := c.CopySource()
	if src.Root != c.Dir() || !src.Context || !src.Ignore("secret/x") || src.Ignore("public") {
		t.Fatalf("bad source %+v", src)
	}
	if !strings.HasPrefix(c.Dir(), "/") {
		t.Fatal("Dir not absolute")
	}
}
