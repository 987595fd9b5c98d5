package server

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/onggi/onggi/registry/server/auth"
	"github.com/onggi/onggi/registry/server/storage"
)

type testRegistry struct {
	t     *testing.T
	url   string
	root  string
	store *storage.Store
	authz *auth.Authorizer
}

func newTestRegistry(t *testing.T, cfg *auth.Config, aopts ...auth.Option) *testRegistry {
	t.Helper()
	root := t.TempDir()
	store, err := storage.New(root)
	if err != nil {
		t.Fatal(err)
	}
	tr := &testRegistry{t: t, root: root, store: store}
	var opts []Option
	if cfg != nil {
		a, err := auth.New(cfg, aopts...)
		if err != nil {
			t.Fatal(err)
		}
		tr.authz = a
		opts = append(opts, WithAuth(a))
	}
	opts = append(opts, WithMaxManifestSize(64<<10))
	srv := httptest.NewServer(New(store, opts...))
	t.Cleanup(srv.Close)
	tr.url = srv.URL
	return tr
}

type reqOpt func(*http.Request)

func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }
func withBasic(u, p string) reqOpt  { return func(r *http.Request) { r.SetBasicAuth(u, p) } }
func withBearer(tok string) reqOpt  { return withHeader("Authorization", "Bearer "+tok) }

// do sends a request to path (relative to the server) and returns the
// response with its body read.
func (tr *testRegistry) do(method, path string, body []byte, opts ...reqOpt) (*http.Response, []byte) {
	tr.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = tr.url + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		tr.t.Fatal(err)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tr.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (tr *testRegistry) expect(resp *http.Response, body []byte, status int, code string) {
	tr.t.Helper()
	if resp.StatusCode != status {
		tr.t.Fatalf("%s %s: status %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
	if code != "" && resp.Request.Method != http.MethodHead {
		var e struct{ Errors []struct{ Code string } }
		if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 || e.Errors[0].Code != code {
			tr.t.Fatalf("%s %s: body %s, want error code %s", resp.Request.Method, resp.Request.URL.Path, body, code)
		}
	}
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// pushBlob uploads b monolithically into repo.
func (tr *testRegistry) pushBlob(repo string, b []byte, opts ...reqOpt) digest.Digest {
	tr.t.Helper()
	d := digest.FromBytes(b)
	resp, body := tr.do("POST", "/v2/"+repo+"/blobs/uploads/?digest="+d.String(), b, opts...)
	tr.expect(resp, body, http.StatusCreated, "")
	return d
}

type testImage struct {
	config, layer []byte
	manifest      []byte
	digest        digest.Digest
}

// randomImage builds a one-layer OCI image, optionally with a subject.
func randomImage(t *testing.T, subject *ocispec.Descriptor, artifactType string) testImage {
	img := testImage{config: []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","x":%q}`, digest.FromBytes(randomBytes(t, 8)))),
		layer: randomBytes(t, 3000)}
	m := ocispec.Manifest{
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType,
		Config:       ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(img.config), Size: int64(len(img.config))},
		Layers:       []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(img.layer), Size: int64(len(img.layer))}},
		Subject:      subject,
	}
	m.SchemaVersion = 2
	img.manifest, _ = json.Marshal(m)
	img.digest = digest.FromBytes(img.manifest)
	return img
}

func (tr *testRegistry) pushImage(repo, tag string, img testImage, opts ...reqOpt) {
	tr.t.Helper()
	tr.pushBlob(repo, img.config, opts...)
	tr.pushBlob(repo, img.layer, opts...)
	resp, body := tr.do("PUT", "/v2/"+repo+"/manifests/"+tag, img.manifest,
		append(opts, withHeader("Content-Type", ocispec.MediaTypeImageManifest))...)
	tr.expect(resp, body, http.StatusCreated, "")
}

// checkConsistent verifies every stored blob matches its name and that no
// temporary or upload leftovers remain.
func (tr *testRegistry) checkConsistent() {
	tr.t.Helper()
	err := filepath.Walk(filepath.Join(tr.root, "blobs"), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		if strings.HasPrefix(fi.Name(), ".tmp-") {
			return fmt.Errorf("temporary file left: %s", p)
		}
		alg := filepath.Base(filepath.Dir(filepath.Dir(p)))
		want := digest.NewDigestFromEncoded(digest.Algorithm(alg), fi.Name())
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		got, err := want.Algorithm().FromReader(f)
		if err != nil || got != want {
			return fmt.Errorf("blob %s holds content %s", want, got)
		}
		return nil
	})
	if err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *testRegistry) uploads() int {
	ents, _ := os.ReadDir(filepath.Join(tr.root, "uploads"))
	return len(ents)
}
