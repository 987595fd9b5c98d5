package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// buildCLI is a containerCLI with build helpers.
type buildCLI struct{ *containerCLI }

func newBuildCLI(t *testing.T) *buildCLI {
	t.Helper()
	return &buildCLI{newContainerCLI(t)}
}

// writeContext makes a build context directory from name → content.
func writeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, c := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// build runs `onggi build --progress=plain` and fails the test on error;
// it returns stdout+stderr (the plain progress).
func (c *buildCLI) build(args ...string) string {
	c.t.Helper()
	r := c.run(append([]string{"build", "--progress=plain"}, args...)...)
	if r.code != 0 {
		c.t.Fatalf("onggi build %s: %v", strings.Join(args, " "), r)
	}
	return r.stdout + r.stderr
}

// sub is c reporting to the subtest t (helpers call t.Fatal, which must
// not run on a parent test).
func (c *buildCLI) sub(t *testing.T) *buildCLI {
	return &buildCLI{&containerCLI{&imageCLI{t: t, root: c.root, runroot: c.runroot}}}
}

func (c *buildCLI) imageID(ref string) string {
	c.t.Helper()
	return strings.TrimSpace(c.ok("image", "inspect", "-f", "{{.Id}}", ref))
}

func (c *buildCLI) runOut(ref, script string) string {
	c.t.Helper()
	return strings.TrimSpace(c.ok("run", "--rm", ref, "sh", "-c", script))
}

var (
	vertexName   = regexp.MustCompile(`(?m)^#(\d+) (\[[^\]]*\] .*)$`)
	vertexCached = regexp.MustCompile(`(?m)^#(\d+) CACHED\s*$`)
)

// steps maps each filesystem step of a plain progress log ("COPY a.txt
// /a", "RUN …") to whether it was CACHED.
func steps(t *testing.T, out string) map[string]bool {
	t.Helper()
	names := map[string]string{}
	for _, m := range vertexName.FindAllStringSubmatch(out, -1) {
		if _, ok := names[m[1]]; !ok {
			names[m[1]] = m[2]
		}
	}
	cached := map[string]bool{}
	for _, m := range vertexCached.FindAllStringSubmatch(out, -1) {
		cached[m[1]] = true
	}
	res := map[string]bool{}
	for id, name := range names {
		_, instr, _ := strings.Cut(name, "] ")
		switch strings.SplitN(instr, " ", 2)[0] {
		case "COPY", "ADD", "RUN", "WORKDIR":
			res[instr] = cached[id]
		}
	}
	if len(res) == 0 {
		t.Fatalf("no steps in the progress output:\n%s", out)
	}
	return res
}

const cacheDockerfile = `FROM busybox
COPY a.txt /a
RUN cat /a > /a2
COPY b.txt /b
RUN cat /b > /b2 && echo step5
`

func TestBuildCache(t *testing.T) {
	c := newBuildCLI(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": cacheDockerfile, "a.txt": "A", "b.txt": "B"})
	first := c.build("-t", "cache:1", ctx)
	for s, cached := range steps(t, first) {
		if cached {
			t.Errorf("first build: %s CACHED", s)
		}
	}
	id := c.imageID("cache:1")

	t.Run("unchanged rebuild is fully cached", func(t *testing.T) {
		c := c.sub(t)
		out := c.build("-t", "cache:2", ctx)
		for s, cached := range steps(t, out) {
			if !cached {
				t.Errorf("%s not CACHED:\n%s", s, out)
			}
		}
		if got := c.imageID("cache:2"); got != id {
			t.Errorf("image id %s, want %s", got, id)
		}
	})
	t.Run("mtime-only change is fully cached", func(t *testing.T) {
		c := c.sub(t)
		later := time.Now().Add(time.Hour)
		for _, f := range []string{"a.txt", "b.txt", "Dockerfile"} {
			os.Chtimes(filepath.Join(ctx, f), later, later)
		}
		out := c.build("-t", "cache:3", ctx)
		for s, cached := range steps(t, out) {
			if !cached {
				t.Errorf("%s not CACHED after touch:\n%s", s, out)
			}
		}
		if got := c.imageID("cache:3"); got != id {
			t.Errorf("image id %s, want %s", got, id)
		}
	})
	t.Run("one file changed reruns from its COPY", func(t *testing.T) {
		c := c.sub(t)
		os.WriteFile(filepath.Join(ctx, "b.txt"), []byte("B2"), 0o644)
		out := c.build("-t", "cache:4", ctx)
		want := map[string]bool{"COPY a.txt /a": true, "RUN cat /a > /a2": true,
			"COPY b.txt /b": false, "RUN cat /b > /b2 && echo step5": false}
		got := steps(t, out)
		for s, w := range want {
			if got[s] != w {
				t.Errorf("%s: cached=%t, want %t\n%s", s, got[s], w, out)
			}
		}
		if c.imageID("cache:4") == id {
			t.Error("changed content, same image id")
		}
		if b2 := c.runOut("cache:4", "cat /b2"); b2 != "B2" {
			t.Errorf("/b2 = %q", b2)
		}
	})
	t.Run("no-cache runs every step", func(t *testing.T) {
		c := c.sub(t)
		out := c.build("--no-cache", "-t", "cache:5", ctx)
		for s, cached := range steps(t, out) {
			if cached {
				t.Errorf("--no-cache: %s CACHED", s)
			}
		}
	})
	t.Run("builder prune empties the cache", func(t *testing.T) {
		c := c.sub(t)
		c.ok("builder", "prune", "-f")
		out := c.build("-t", "cache:6", ctx)
		for s, cached := range steps(t, out) {
			if cached {
				t.Errorf("after builder prune: %s CACHED", s)
			}
		}
	})
}

func TestBuildDockerfileFromStdin(t *testing.T) {
	c := newBuildCLI(t)
	ctx := writeContext(t, map[string]string{"a.txt": "from-context", "Dockerfile": "FROM busybox\nRUN exit 3\n"})
	r := c.runIn(strings.NewReader("FROM busybox\nCOPY a.txt /a.txt\n"), "build", "-f", "-", "-t", "stdin-df", ctx)
	if r.code != 0 {
		t.Fatalf("build -f -: %v", r)
	}
	if got := c.runOut("stdin-df", "cat /a.txt"); got != "from-context" {
		t.Fatalf("/a.txt = %q", got)
	}
}

// tarGz makes a gzip'd tar of name → content.
func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for n, c := range files {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(c)), Typeflag: tar.TypeReg, ModTime: time.Now()})
		tw.Write([]byte(c))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestBuildContextFromStdinTar(t *testing.T) {
	c := newBuildCLI(t)
	data := tarGz(t, map[string]string{
		"Dockerfile":    "FROM busybox\nCOPY . /ctx/\n",
		".dockerignore": "ignored.txt\n",
		"kept.txt":      "kept", "ignored.txt": "no",
	})
	r := c.runIn(bytes.NewReader(data), "build", "-t", "stdin-ctx", "-")
	if r.code != 0 {
		t.Fatalf("build -: %v", r)
	}
	if got := c.runOut("stdin-ctx", "cd /ctx && ls -A | tr '\\n' ' '"); got != ".dockerignore Dockerfile kept.txt" {
		t.Fatalf("/ctx holds %q", got)
	}
}

func TestBuildContextTarEscapeRejected(t *testing.T) {
	c := newBuildCLI(t)
	data := tarGz(t, map[string]string{"Dockerfile": "FROM busybox\n", "../../escaped": "x"})
	r := c.runIn(bytes.NewReader(data), "build", "-t", "evil", "-")
	if r.code == 0 {
		t.Fatal("a context tar with ../ was accepted")
	}
}

func TestBuildIidfileAndQuiet(t *testing.T) {
	c := newBuildCLI(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo q > /q\n"})
	iid := filepath.Join(t.TempDir(), "iid")
	r := c.run("build", "-q", "--iidfile", iid, "-t", "quiet", ctx)
	if r.code != 0 {
		t.Fatal(r)
	}
	id := c.imageID("quiet")
	if strings.TrimSpace(r.stdout) != id || len(imageLines(r.stdout)) != 1 {
		t.Errorf("-q stdout %q, want the id %s alone", r.stdout, id)
	}
	b, err := os.ReadFile(iid)
	if err != nil || string(b) != id {
		t.Errorf("--iidfile holds %q (%v), want %s", b, err, id)
	}
}

const outputDockerfile = `FROM busybox AS gen
RUN mkdir -p /out && echo generated > /out/gen
FROM scratch
COPY --from=gen /out /out
`

func TestBuildOutputLocalAndTar(t *testing.T) {
	c := newBuildCLI(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": outputDockerfile})
	dest := filepath.Join(t.TempDir(), "export")
	c.build("--output", "type=local,dest="+dest, ctx)
	if b, err := os.ReadFile(filepath.Join(dest, "out/gen")); err != nil || string(b) != "generated\n" {
		t.Errorf("local output: %q %v", b, err)
	}
	tarPath := filepath.Join(t.TempDir(), "out.tar")
	c.build("-o", "type=tar,dest="+tarPath, ctx)
	f, err := os.Open(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found := false
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		if strings.TrimPrefix(hdr.Name, "./") == "out/gen" {
			b, _ := io.ReadAll(tr)
			found = string(b) == "generated\n"
		}
	}
	if !found {
		t.Error("tar output lacks out/gen")
	}
}

func TestBuildSecretNotInLayers(t *testing.T) {
	c := newBuildCLI(t)
	secret := fmt.Sprintf("TOPSECRET-%d", time.Now().UnixNano())
	secretFile := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(secretFile, []byte(secret), 0o600)
	ctx := writeContext(t, map[string]string{"Dockerfile": `FROM busybox
RUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /secret-len && cp /run/secrets/tok /tmp/copy && rm /tmp/copy
RUN --mount=type=secret,id=tok,target=/custom/place cat /custom/place | wc -c > /secret-len2
`})
	c.build("--secret", "id=tok,src="+secretFile, "-t", "secret", ctx)
	if got := c.runOut("secret", "cat /secret-len /secret-len2 | tr '\\n' ' '"); got != fmt.Sprintf("%d %d", len(secret), len(secret)) {
		t.Errorf("secret lengths %q", got)
	}
	if got := c.runOut("secret", "test -e /run/secrets/tok || echo absent"); got != "absent" {
		t.Errorf("/run/secrets/tok in the image: %q", got)
	}
	saved := filepath.Join(t.TempDir(), "img.tar")
	c.ok("save", "-o", saved, "secret")
	if blobHolds(t, saved, secret) {
		t.Fatal("the secret is in the saved image")
	}
}

// blobHolds reports whether any file of the saved tar, decompressed when
// gzip'd, contains s.
func blobHolds(t *testing.T, tarPath, s string) bool {
	t.Helper()
	f, err := os.Open(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		_, err := tr.Next()
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(tr)
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			if u, err := io.ReadAll(zr); err == nil {
				b = u
			}
		}
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
}

func TestBuildAddURL(t *testing.T) {
	c := newBuildCLI(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "remote content")
	}))
	defer srv.Close()
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nADD " + srv.URL + "/dir/file.txt /dl/\n"})
	c.build("-t", "addurl", ctx)
	if got := c.runOut("addurl", "stat -c %a /dl/file.txt && cat /dl/file.txt"); got != "600\nremote content" {
		t.Errorf("got %q", got)
	}
}
