package server

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestInvalidDigestsAre400(t *testing.T) {
	tr := newTestRegistry(t, nil)
	tr.pushImage("r", "v1", randomImage(t, nil, ""))
	for _, c := range []struct{ method, path string }{
		{"GET", "/v2/r/blobs/sha256:xyz"},
		{"GET", "/v2/r/blobs/md5:d41d8cd98f00b204e9800998ecf8427e"},
		{"GET", "/v2/r/blobs/sha256:" + strings.Repeat("a", 63)},
		{"GET", "/v2/r/referrers/sha256:bad"},
		{"GET", "/v2/r/manifests/sha256:baddigeststring"},
		{"POST", "/v2/r/blobs/uploads/?digest=sha256:bad"},
		{"POST", "/v2/r/blobs/uploads/?mount=sha256:bad&from=r"},
	} {
		resp, body := tr.do(c.method, c.path, nil)
		tr.expect(resp, body, http.StatusBadRequest, "DIGEST_INVALID")
	}
	tr.checkConsistent()
}

func TestWrongDigestUploadLeavesNothing(t *testing.T) {
	tr := newTestRegistry(t, nil)
	data := randomBytes(t, 2000)
	wrong := digest.FromBytes([]byte("something else"))
	resp, body := tr.do("POST", "/v2/r/blobs/uploads/?digest="+wrong.String(), data)
	tr.expect(resp, body, http.StatusBadRequest, "DIGEST_INVALID")
	resp, body = tr.do("POST", "/v2/r/blobs/uploads/", nil)
	tr.expect(resp, body, http.StatusAccepted, "")
	resp, body = tr.do("PUT", resp.Header.Get("Location")+"?digest="+wrong.String(), data)
	tr.expect(resp, body, http.StatusBadRequest, "DIGEST_INVALID")
	for _, d := range []digest.Digest{wrong, digest.FromBytes(data)} {
		resp, body = tr.do("HEAD", "/v2/r/blobs/"+d.String(), nil)
		tr.expect(resp, body, http.StatusNotFound, "")
		if tr.store.BlobExists(d) {
			t.Fatalf("blob %s stored despite the digest mismatch", d)
		}
	}
	if tr.uploads() != 0 {
		t.Fatal("failed uploads left behind")
	}
	// A manifest pushed to a digest it does not have.
	img := randomImage(t, nil, "")
	tr.pushBlob("r", img.config)
	tr.pushBlob("r", img.layer)
	resp, body = tr.do("PUT", "/v2/r/manifests/"+wrong.String(), img.manifest, withHeader("Content-Type", ocispec.MediaTypeImageManifest))
	tr.expect(resp, body, http.StatusBadRequest, "DIGEST_INVALID")
	tr.checkConsistent()
}

func TestOversizeAndInvalidManifests(t *testing.T) {
	tr := newTestRegistry(t, nil) // limit 64 KiB
	big := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"a/b","digest":"sha256:%s","size":1},"annotations":{"x":%q}}`,
		ocispec.MediaTypeImageManifest, strings.Repeat("0", 64), strings.Repeat("x", 70<<10))
	resp, body := tr.do("PUT", "/v2/r/manifests/big", []byte(big), withHeader("Content-Type", ocispec.MediaTypeImageManifest))
	tr.expect(resp, body, http.StatusRequestEntityTooLarge, "SIZE_INVALID")
	for _, bad := range []string{
		`not json`,
		`{"schemaVersion":1}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"digest":"sha256:nothex","size":1}]}`,
		`{"schemaVersion":2,"mediaType":"text/plain","config":{}}`,
	} {
		resp, body = tr.do("PUT", "/v2/r/manifests/t", []byte(bad))
		tr.expect(resp, body, http.StatusBadRequest, "MANIFEST_INVALID")
	}
	// Content-Type and mediaType must agree.
	img := randomImage(t, nil, "")
	tr.pushBlob("r", img.config)
	tr.pushBlob("r", img.layer)
	resp, body = tr.do("PUT", "/v2/r/manifests/t", img.manifest, withHeader("Content-Type", ocispec.MediaTypeImageIndex))
	tr.expect(resp, body, http.StatusBadRequest, "MANIFEST_INVALID")
	resp, body = tr.do("PUT", "/v2/r/manifests/bad:tag", img.manifest)
	tr.expect(resp, body, http.StatusBadRequest, "")
	if tags, _ := tr.store.Tags("r"); len(tags) != 0 {
		t.Fatalf("tags after refused pushes: %v", tags)
	}
	tr.checkConsistent()
}

func TestPathTraversalNames(t *testing.T) {
	tr := newTestRegistry(t, nil)
	secret := filepath.Join(tr.root, "..", "secret")
	_ = os.WriteFile(secret, []byte("x"), 0o644)
	d := digest.FromBytes([]byte("x"))
	for _, p := range []string{
		"/v2/../../etc/blobs/" + d.String(),
		"/v2/r/blobs/sha256:../../etc",
		"/v2/a/../../b/manifests/latest",
		"/v2/%2e%2e/%2e%2e/x/tags/list",
		"/v2/a%2f..%2f..%2fb/tags/list",
		"/v2/UPPER/tags/list",
		"/v2/_layers/tags/list",
		"/v2/a//b/tags/list",
		"/v2/a\\..\\b/tags/list",
		"/v2/" + strings.Repeat("a", 300) + "/tags/list",
	} {
		status, body := rawRequest(t, tr.url, "GET "+p)
		if status != http.StatusBadRequest && status != http.StatusNotFound {
			t.Fatalf("%s: status %d: %s", p, status, body)
		}
		if status == http.StatusBadRequest && !strings.Contains(body, "NAME_INVALID") {
			t.Fatalf("%s: %s", p, body)
		}
	}
	resp, body := tr.do("POST", "/v2/r/blobs/uploads/?mount="+d.String()+"&from=../..", nil)
	tr.expect(resp, body, http.StatusAccepted, "") // no mount from an invalid name
	resp, body = tr.do("GET", "/v2/r/blobs/uploads/../../../etc", nil)
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Fatalf("upload id traversal: %d %s", resp.StatusCode, body)
	}
	resp, body = tr.do("PATCH", "/v2/r/blobs/uploads/..", []byte("x"))
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("upload id ..: %d %s", resp.StatusCode, body)
	}
	tr.checkConsistent()
}

// rawRequest sends a request line verbatim, bypassing Go's URL cleaning, as
// an attacker's client would.
func rawRequest(t *testing.T, base, line string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", line)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&sb)
	return resp.StatusCode, sb.String()
}

// TestTruncatedUpload drops the connection half-way through a chunk: the
// upload must roll back to its last complete offset and be resumable.
func TestTruncatedUpload(t *testing.T) {
	tr := newTestRegistry(t, nil)
	data := randomBytes(t, 8000)
	d := digest.FromBytes(data)
	resp, body := tr.do("POST", "/v2/r/blobs/uploads/", nil)
	tr.expect(resp, body, http.StatusAccepted, "")
	loc := resp.Header.Get("Location")
	resp, body = tr.do("PATCH", loc, data[:3000], withHeader("Content-Range", "0-2999"))
	tr.expect(resp, body, http.StatusAccepted, "")

	conn, err := net.Dial("tcp", strings.TrimPrefix(tr.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nContent-Range: 3000-7999\r\n\r\n", loc)
	_, _ = conn.Write(data[3000:5000]) // 2000 of the promised 5000 bytes
	_ = conn.Close()

	// The server notices the short body; poll the status until it has.
	var got string
	for i := 0; i < 200; i++ {
		resp, _ = tr.do("GET", loc, nil)
		if got = resp.Header.Get("Range"); got == "0-2999" {
			break
		}
	}
	if got != "0-2999" {
		t.Fatalf("after a truncated chunk the upload is at %q, want 0-2999", got)
	}
	resp, body = tr.do("PUT", loc+"?digest="+d.String(), data[3000:], withHeader("Content-Range", "3000-7999"))
	tr.expect(resp, body, http.StatusCreated, "")
	tr.checkConsistent()
	// A truncated monolithic upload stores nothing.
	other := randomBytes(t, 4000)
	conn, err = net.Dial("tcp", strings.TrimPrefix(tr.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /v2/r/blobs/uploads/?digest=%s HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n", digest.FromBytes(other))
	_, _ = conn.Write(other[:1000])
	_ = conn.Close()
	for i := 0; i < 200 && tr.uploads() != 0; i++ {
		resp, _ = tr.do("GET", "/v2/", nil)
	}
	if tr.store.BlobExists(digest.FromBytes(other)) {
		t.Fatal("truncated monolithic upload stored")
	}
	tr.checkConsistent()
}
