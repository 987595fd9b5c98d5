package fscopy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

// ctxTree is the build context most cases copy from.
var ctxTree = map[string]string{
	"a.txt":             "A",
	"b.txt":             "B",
	"c.md":              "C",
	"dir/sub/x":         "X",
	"dir/y":             "Y",
	"dir/ln":            "l:y",
	"top-link":          "l:a.txt",
	"escape":            "l:../../../etc",
	"secret/key":        "K",
	"parents/a/b/c.txt": "PC",
}

func TestCopy(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name string
		o    Options
		want map[string]string // paths that must be there
		gone []string          // paths that must not
		err  string            // error substring
		is   error
	}{
		{name: "file to file", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/new"},
			want: map[string]string{"dst": "d 755 0:0", "dst/new": "f 644 0:0 A"}},
		{name: "file into dir by slash", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/"},
			want: map[string]string{"dst/a.txt": "f 644 0:0 A"}},
		{name: "file into existing dir without slash", o: Options{Srcs: []string{"a.txt"}, Dest: "/existing"},
			want: map[string]string{"existing/a.txt": "f 644 0:0 A"}},
		{name: "dir copies contents", o: Options{Srcs: []string{"dir"}, Dest: "/dst"},
			want: map[string]string{"dst/sub/x": "f 644 0:0 X", "dst/y": "f 644 0:0 Y", "dst/ln": "l y"},
			gone: []string{"dst/dir"}},
		{name: "dot copies the context", o: Options{Srcs: []string{"."}, Dest: "/dst/"},
			want: map[string]string{"dst/a.txt": "f 644 0:0 A", "dst/dir/sub/x": "f 644 0:0 X"}},
		{name: "wildcard", o: Options{Srcs: []string{"*.txt"}, Dest: "/dst/"},
			want: map[string]string{"dst/a.txt": "f 644 0:0 A", "dst/b.txt": "f 644 0:0 B"},
			gone: []string{"dst/c.md"}},
		{name: "wildcard in dir", o: Options{Srcs: []string{"d?r/s*/x"}, Dest: "/dst/"},
			want: map[string]string{"dst/x": "f 644 0:0 X"}},
		{name: "wildcard single match without slash", o: Options{Srcs: []string{"c.*"}, Dest: "/dst"},
			want: map[string]string{"dst": "f 644 0:0 C"}},
		{name: "several matches need a slash", o: Options{Srcs: []string{"*.txt"}, Dest: "/dst"},
			err: "must be a directory and end with a /", is: errdefs.ErrInvalid},
		{name: "several sources need a slash", o: Options{Srcs: []string{"a.txt", "b.txt"}, Dest: "/dst"},
			err: "must be a directory and end with a /", is: errdefs.ErrInvalid},
		{name: "missing", o: Options{Srcs: []string{"nope"}, Dest: "/dst/"},
			err: `"/nope": not found`, is: errdefs.ErrNotFound},
		{name: "wildcard matching nothing copies nothing", o: Options{Srcs: []string{"*.none"}, Dest: "/dst/"},
			gone: []string{"dst"}},
		{name: "optional file by wildcard", o: Options{Srcs: []string{"a.txt", "missing.lock*"}, Dest: "/dst/"},
			want: map[string]string{"dst/a.txt": "f 644 0:0 A"}},
		{name: "outside the context", o: Options{Srcs: []string{"../x"}, Dest: "/dst/"},
			err: "forbidden path outside the build context", is: errdefs.ErrInvalid},
		{name: "ignored file is invisible", o: Options{Srcs: []string{"secret/key"}, Dest: "/dst/"},
			err: "not found", is: errdefs.ErrNotFound},
		{name: "ignored dir is skipped", o: Options{Srcs: []string{"."}, Dest: "/dst/"},
			gone: []string{"dst/secret", "dst/secret/key"}},
		{name: "top-level symlink followed", o: Options{Srcs: []string{"top-link"}, Dest: "/dst/"},
			want: map[string]string{"dst/top-link": "f 644 0:0 A"}},
		{name: "symlink leaving the context resolves inside it", o: Options{Srcs: []string{"escape/passwd"}, Dest: "/dst/"},
			err: "not found", is: errdefs.ErrNotFound},
		{name: "chown numeric", o: Options{Srcs: []string{"dir"}, Dest: "/dst", Chown: "1000:1001"},
			want: map[string]string{"dst/y": "f 644 1000:1001 Y", "dst/sub": "d 755 1000:1001", "dst": "d 755 1000:1001"}},
		{name: "chown uid alone", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/", Chown: "7"},
			want: map[string]string{"dst/a.txt": "f 644 7:7 A"}},
		{name: "chown names", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/", Chown: "alice:staff"},
			want: map[string]string{"dst/a.txt": "f 644 1234:50 A"}},
		{name: "chown name takes primary group", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/", Chown: "alice"},
			want: map[string]string{"dst/a.txt": "f 644 1234:100 A"}},
		{name: "link with chown by name", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/", Chown: "alice", Link: true},
			err: "can't be resolved when used with --link", is: errdefs.ErrInvalid},
		{name: "link with numeric chown", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/", Chown: "5:6", Link: true},
			want: map[string]string{"dst/a.txt": "f 644 5:6 A"}},
		{name: "chown unknown", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/", Chown: "bob"},
			err: "unable to find user bob", is: errdefs.ErrInvalid},
		{name: "chmod files and dirs", o: Options{Srcs: []string{"dir"}, Dest: "/dst", Chmod: "0750"},
			want: map[string]string{"dst": "d 750 0:0", "dst/y": "f 750 0:0 Y", "dst/sub": "d 750 0:0", "dst/ln": "l y"}},
		{name: "existing dest dir keeps its metadata", o: Options{Srcs: []string{"dir"}, Dest: "/existing/sub", Chmod: "0700", Chown: "9:9"},
			want: map[string]string{"existing/sub": "d 755 0:0", "existing/sub/sub/x": "f 700 9:9 X"}},
		{name: "chmod invalid octal", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/", Chmod: "0999"},
			err: "it should be octal string and between 0 and 07777", is: errdefs.ErrInvalid},
		{name: "chmod too large", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/", Chmod: "17777"},
			err: "it should be octal string", is: errdefs.ErrInvalid},
		{name: "chmod invalid symbolic", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/", Chmod: "u+q"},
			err: "invalid chmod parameter", is: errdefs.ErrInvalid},
		{name: "chmod symbolic", o: Options{Srcs: []string{"dir"}, Dest: "/dst", Chmod: "a=rX"},
			want: map[string]string{"dst/y": "f 444 0:0 Y", "dst/sub": "d 555 0:0"}},
		{name: "chmod symbolic add remove", o: Options{Srcs: []string{"a.txt"}, Dest: "/dst/", Chmod: "go-r,u+xs"},
			want: map[string]string{"dst/a.txt": "f 4700 0:0 A"}},
		{name: "parents", o: Options{Srcs: []string{"parents/a/b/c.txt"}, Dest: "/dst/", Parents: true},
			want: map[string]string{"dst/parents/a/b/c.txt": "f 644 0:0 PC"}},
		{name: "parents pivot", o: Options{Srcs: []string{"parents/./a/b/c.txt"}, Dest: "/dst/", Parents: true},
			want: map[string]string{"dst/a/b/c.txt": "f 644 0:0 PC"}, gone: []string{"dst/parents"}},
		{name: "parents double star", o: Options{Srcs: []string{"./parents/./**/*.txt"}, Dest: "/dst/", Parents: true},
			want: map[string]string{"dst/a/b/c.txt": "f 644 0:0 PC"}},
		{name: "double star", o: Options{Srcs: []string{"**/x"}, Dest: "/dst/"},
			want: map[string]string{"dst/x": "f 644 0:0 X"}},
		{name: "parents dir", o: Options{Srcs: []string{"dir/sub"}, Dest: "/dst/", Parents: true},
			want: map[string]string{"dst/dir/sub/x": "f 644 0:0 X"}},
		{name: "exclude", o: Options{Srcs: []string{"."}, Dest: "/dst/", ExcludePatterns: []string{"*.txt", "dir/sub"}},
			want: map[string]string{"dst/c.md": "f 644 0:0 C", "dst/dir/y": "f 644 0:0 Y"},
			gone: []string{"dst/a.txt", "dst/dir/sub"}},
		{name: "url in COPY", o: Options{Srcs: []string{"http://example.com/x"}, Dest: "/dst/"},
			err: "source can't be a URL for COPY", is: errdefs.ErrInvalid},
		{name: "absolute symlink in the image stays inside", o: Options{Srcs: []string{"a.txt"}, Dest: "/app/"},
			want: map[string]string{"etc/a.txt": "f 644 0:0 A", "app": "l /etc"}},
		{name: "final symlink is replaced, not followed", o: Options{Srcs: []string{"a.txt"}, Dest: "/passwd-link"},
			want: map[string]string{"passwd-link": "f 644 0:0 A", "etc/passwd": "f 644 0:0 " + passwd}},
		{name: "dest existing file over dir conflicts", o: Options{Srcs: []string{"dir"}, Dest: "/existing/"},
			err: "cannot replace directory", is: errdefs.ErrConflict},
	}
	ctxDir := t.TempDir()
	mkTree(t, ctxDir, ctxTree)
	src := Source{Root: ctxDir, Context: true, Ignore: func(rel string) bool {
		return rel == "secret" || strings.HasPrefix(rel, "secret/")
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dest := newRootfs(t)
			err := Copy(dest, src, tc.o)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Fatalf("err = %v, not %v", err, tc.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := tree(t, dest)
			for p, w := range tc.want {
				if got[p] != w {
					t.Errorf("%s = %q, want %q", p, got[p], w)
				}
			}
			for _, p := range tc.gone {
				if g, ok := got[p]; ok {
					t.Errorf("%s should not exist (%q)", p, g)
				}
			}
		})
	}
}

const passwd = "root:x:0:0:root:/root:/bin/sh\nalice:x:1234:100::/home/alice:/bin/sh\n"

// newRootfs makes an image-like root: /etc/passwd and /etc/group, a
// directory /existing/sub, an absolute symlink /app -> /etc and
// /passwd-link -> /etc/passwd.
func newRootfs(t *testing.T) string {
	dest := t.TempDir()
	mkTree(t, dest, map[string]string{
		"etc/passwd":   passwd,
		"etc/group":    "root:x:0:\nusers:x:100:\nstaff:x:50:alice\n",
		"existing/sub": "d",
		"existing/y":   "d",
		"app":          "l:/etc",
		"passwd-link":  "l:/etc/passwd",
	})
	return dest
}

func TestCopyStageKeepsOwners(t *testing.T) {
	requireRoot(t)
	stage := t.TempDir()
	mkTree(t, stage, map[string]string{"app/bin": "B", "app/lib/x": "X"})
	os.Lchown(filepath.Join(stage, "app/bin"), 33, 44)
	os.Lchown(filepath.Join(stage, "app/lib"), 55, 66)
	dest := newRootfs(t)
	// A stage path leaving the root is clamped to it, as BuildKit does.
	if err := Copy(dest, Source{Root: stage}, Options{Srcs: []string{"/../app"}, Dest: "/out"}); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dest)
	if got["out/bin"] != "f 644 33:44 B" || got["out/lib"] != "d 755 55:66" {
		t.Fatalf("owners not kept: %v", got)
	}
}

func TestCopyHardlinks(t *testing.T) {
	requireRoot(t)
	ctxDir := t.TempDir()
	mkTree(t, ctxDir, map[string]string{"d/a": "same"})
	if err := os.Link(filepath.Join(ctxDir, "d/a"), filepath.Join(ctxDir, "d/b")); err != nil {
		t.Fatal(err)
	}
	dest := newRootfs(t)
	if err := Copy(dest, Source{Root: ctxDir, Context: true}, Options{Srcs: []string{"d"}, Dest: "/h/"}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(filepath.Join(dest, "h/a"))
	b, _ := os.Stat(filepath.Join(dest, "h/b"))
	if a == nil || b == nil || !os.SameFile(a, b) {
		t.Fatalf("h/a and h/b are not one inode")
	}
}

func TestCopyKeepsModesAndMtimes(t *testing.T) {
	requireRoot(t)
	ctxDir := t.TempDir()
	mkTree(t, ctxDir, map[string]string{"bin/tool": "#!/bin/sh\n", "bin/data": "x"})
	syscall.Chmod(filepath.Join(ctxDir, "bin/tool"), 0o4755)
	os.Chmod(filepath.Join(ctxDir, "bin"), 0o700)
	dest := newRootfs(t)
	if err := Copy(dest, Source{Root: ctxDir, Context: true}, Options{Srcs: []string{"bin"}, Dest: "/usr/local/bin/"}); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dest)
	if got["usr/local/bin/tool"] != "f 4755 0:0 #!/bin/sh\n" || got["usr/local"] != "d 755 0:0" {
		t.Fatalf("modes: %q %q", got["usr/local/bin/tool"], got["usr/local"])
	}
	src, _ := os.Stat(filepath.Join(ctxDir, "bin/data"))
	dst, _ := os.Stat(filepath.Join(dest, "usr/local/bin/data"))
	if !src.ModTime().Equal(dst.ModTime()) {
		t.Fatalf("mtime %v, want %v", dst.ModTime(), src.ModTime())
	}
}
