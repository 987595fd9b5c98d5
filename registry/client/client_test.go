package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/crypto/bcrypt"

	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/registry/server"
	"github.com/onggi/onggi/registry/server/auth"
	"github.com/onggi/onggi/registry/server/storage"
)

type env struct {
	t     *testing.T
	host  string // 127.0.0.1:port
	store *storage.Store
}

func startRegistry(t *testing.T, cfg *auth.Config, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	st, err := storage.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var opts []server.Option
	if cfg != nil {
		a, err := auth.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, server.WithAuth(a))
	}
	var h http.Handler = server.New(st, opts...)
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, host: strings.TrimPrefix(srv.URL, "http://"), store: st}
}

func openStore(t *testing.T) *image.Store {
	t.Helper()
	s, err := image.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// makeImage stores an image of n random layers under name.
func makeImage(t *testing.T, s *image.Store, name string, n int) *image.Image {
	t.Helper()
	ctx := context.Background()
	var layers []ocispec.Descriptor
	var diffs []digest.Digest
	for i := 0; i < n; i++ {
		b := make([]byte, 200<<10)
		_, _ = rand.Read(b)
		desc, err := s.Content().Ingest(ctx, ocispec.MediaTypeImageLayer, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, desc)
		diffs = append(diffs, desc.Digest)
	}
	cfg := ocispec.Image{Platform: s.Platform(), RootFS: ocispec.RootFS{DiffIDs: diffs}}
	img, err := s.Create(ctx, image.CreateOptions{Config: cfg, Layers: layers}, name)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestPushPullRoundTrip(t *testing.T) {
	e := startRegistry(t, nil, nil)
	ctx := context.Background()
	src := openStore(t)
	img := makeImage(t, src, e.host+"/app:v1", 3)
	var out bytes.Buffer
	pusher := New(src, WithProgress(NewProgress(&out)), WithKeychain(ConfigKeychain{Dir: t.TempDir()}))
	res, err := pusher.Push(ctx, e.host+"/app:v1", e.host+"/app:v1", e.host+"/app:v2")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Digest != img.ManifestDigest || res[1].Digest != img.ManifestDigest {
		t.Fatalf("push results %+v", res)
	}
	if strings.Count(out.String(), ": Pushed") != 3 {
		t.Fatalf("first push should upload 3 layers:\n%s", out.String())
	}
	if strings.Count(out.String(), "Layer already exists") != 3 {
		t.Fatalf("second tag should skip 3 layers:\n%s", out.String())
	}

	dst := openStore(t)
	out.Reset()
	puller := New(dst, WithProgress(NewProgress(&out)), WithKeychain(ConfigKeychain{Dir: t.TempDir()}))
	pr, err := puller.Pull(ctx, e.host+"/app:v2")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Image.ID != img.ID || pr.Digest != img.ManifestDigest || !pr.Fresh {
		t.Fatalf("pulled %+v, want image %s", pr, img.ID)
	}
	if strings.Count(out.String(), "Pull complete") != 3 {
		t.Fatalf("pull output:\n%s", out.String())
	}
	for _, l := range img.Manifest.Layers {
		if !dst.Content().Has(l.Digest) {
			t.Fatalf("layer %s not pulled", l.Digest)
		}
	}
	pr, err = puller.Pull(ctx, e.host+"/app@"+img.ManifestDigest.String())
	if err != nil || pr.Fresh {
		t.Fatalf("pull by digest of a present image: %+v %v", pr, err)
	}

	// Pushing the pulled image to another repository mounts its layers.
	out.Reset()
	if _, err := puller.Push(ctx, e.host+"/app:v2", e.host+"/copy:v1"); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "Mounted from app") != 3 {
		t.Fatalf("push to another repository should mount:\n%s", out.String())
	}
	for _, l := range img.Manifest.Layers {
		if !e.store.BlobLinked("copy", l.Digest) {
			t.Fatalf("layer %s not in copy", l.Digest)
		}
	}
}

func TestPullManifestListPreserved(t *testing.T) {
	e := startRegistry(t, nil, nil)
	ctx := context.Background()
	src := openStore(t)
	img := makeImage(t, src, e.host+"/multi:single", 1)
	c := New(src, WithKeychain(ConfigKeychain{Dir: t.TempDir()}))
	if _, err := c.Push(ctx, e.host+"/multi:single"); err != nil {
		t.Fatal(err)
	}
	plat := src.Platform()
	other := ocispec.Platform{OS: "linux", Architecture: "s390x"}
	if plat.Architecture == "s390x" {
		other.Architecture = "riscv64"
	}
	mraw, _ := src.Content().ReadAll(img.ManifestDigest, 0)
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{
		{MediaType: ocispec.MediaTypeImageManifest, Digest: img.ManifestDigest, Size: int64(len(mraw)), Platform: &plat},
		{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("absent"), Size: 10, Platform: &other},
	}}
	idx.SchemaVersion = 2
	raw, _ := json.Marshal(idx)
	req, _ := http.NewRequest("PUT", "http://"+e.host+"/v2/multi/manifests/list", bytes.NewReader(raw))
	req.Header.Set("Content-Type", ocispec.MediaTypeImageIndex)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("pushing index: %v %v", resp, err)
	}
	dst := openStore(t)
	pr, err := New(dst, WithKeychain(ConfigKeychain{Dir: t.TempDir()})).Pull(ctx, e.host+"/multi:list")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Image.IndexDigest != digest.FromBytes(raw) || pr.Image.ManifestDigest != img.ManifestDigest {
		t.Fatalf("index not preserved: %+v", pr.Image)
	}
	// Asking for a platform the list has no content for fails cleanly.
	_, err = New(openStore(t), WithPlatform(ocispec.Platform{OS: "windows", Architecture: "arm"}),
		WithKeychain(ConfigKeychain{Dir: t.TempDir()})).Pull(ctx, e.host+"/multi:list")
	if err == nil {
		t.Fatal("pull of a missing platform succeeded")
	}
}

// TestPullRetriesDroppedConnection cuts the first download of every blob
// half-way; the pull must resume with Range requests and complete with
// verified content.
func TestPullRetriesDroppedConnection(t *testing.T) {
	var cut cutter
	var resumed atomic.Int32
	e := startRegistry(t, nil, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Range") != "" {
				resumed.Add(1)
			}
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") && cut.first(r.URL.Path) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes()[:rec.Body.Len()/2])
				hj, _ := w.(http.Hijacker)
				conn, _, _ := hj.Hijack()
				_ = conn.Close()
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	src := openStore(t)
	img := makeImage(t, src, e.host+"/flaky:v1", 2)
	if _, err := New(src, WithKeychain(ConfigKeychain{Dir: t.TempDir()})).Push(ctx, e.host+"/flaky:v1"); err != nil {
		t.Fatal(err)
	}
	dst := openStore(t)
	pr, err := New(dst, WithKeychain(ConfigKeychain{Dir: t.TempDir()})).Pull(ctx, e.host+"/flaky:v1")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Image.ID != img.ID || cut.count.Load() < 2 || resumed.Load() < 2 {
		t.Fatalf("pulled %s after %d cuts and %d resumed requests", pr.Image.ID, cut.count.Load(), resumed.Load())
	}
}

// cutter remembers which paths it already cut.
type cutter struct {
	mu    sync.Mutex
	seen  map[string]bool
	count atomic.Int32
}

func (c *cutter) first(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if c.seen[key] {
		return false
	}
	c.seen[key] = true
	c.count.Add(1)
	return true
}

func TestLoginAndPrivateRepository(t *testing.T) {
	h, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	pw := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(pw, []byte("alice:"+string(h)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &auth.Config{Htpasswd: pw, Rules: []auth.Rule{{Name: "*", Pull: []string{"alice"}, Push: []string{"alice"}}}}
	e := startRegistry(t, cfg, nil)
	ctx := context.Background()
	dir := t.TempDir()
	src := openStore(t)
	makeImage(t, src, e.host+"/private/app:v1", 1)
	c := New(src, WithKeychain(ConfigKeychain{Dir: dir}))
	if _, err := c.Push(ctx, e.host+"/private/app:v1"); err == nil {
		t.Fatal("anonymous push to a private registry succeeded")
	}
	if err := c.Login(ctx, e.host, "alice", "wrong", dir); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	if err := c.Login(ctx, e.host, "alice", "s3cret", dir); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if !strings.Contains(string(raw), `"`+e.host+`"`) || !strings.Contains(string(raw), `"auth"`) {
		t.Fatalf("config.json: %s", raw)
	}
	if _, err := c.Push(ctx, e.host+"/private/app:v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := New(openStore(t), WithKeychain(ConfigKeychain{Dir: dir})).Pull(ctx, e.host+"/private/app:v1"); err != nil {
		t.Fatal(err)
	}
	if removed, err := Logout(e.host, dir); err != nil || !removed {
		t.Fatalf("logout: %v %v", removed, err)
	}
	if _, err := New(openStore(t), WithKeychain(ConfigKeychain{Dir: dir})).Pull(ctx, e.host+"/private/app:v1"); err == nil {
		t.Fatal("pull after logout succeeded")
	}
}
