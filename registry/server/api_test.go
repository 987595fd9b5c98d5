package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestPushPullRoundTrip(t *testing.T) {
	tr := newTestRegistry(t, nil)
	img := randomImage(t, nil, "")
	tr.pushImage("library/app", "v1", img)

	resp, body := tr.do("GET", "/v2/library/app/manifests/v1", nil)
	tr.expect(resp, body, http.StatusOK, "")
	if string(body) != string(img.manifest) || resp.Header.Get("Docker-Content-Digest") != img.digest.String() ||
		resp.Header.Get("Content-Type") != ocispec.MediaTypeImageManifest {
		t.Fatalf("manifest GET: %v %s", resp.Header, body)
	}
	resp, body = tr.do("HEAD", "/v2/library/app/manifests/"+img.digest.String(), nil)
	tr.expect(resp, body, http.StatusOK, "")
	if resp.ContentLength != int64(len(img.manifest)) {
		t.Fatalf("HEAD Content-Length %d", resp.ContentLength)
	}
	ld := digest.FromBytes(img.layer)
	resp, body = tr.do("GET", "/v2/library/app/blobs/"+ld.String(), nil)
	tr.expect(resp, body, http.StatusOK, "")
	if digest.FromBytes(body) != ld {
		t.Fatal("blob content differs")
	}
	resp, body = tr.do("GET", "/v2/library/app/blobs/"+ld.String(), nil, withHeader("Range", "bytes=10-19"))
	tr.expect(resp, body, http.StatusPartialContent, "")
	if string(body) != string(img.layer[10:20]) {
		t.Fatal("range content differs")
	}
	resp, body = tr.do("GET", "/v2/library/app/blobs/"+ld.String(), nil, withHeader("Range", "bytes=5000-6000"))
	tr.expect(resp, body, http.StatusRequestedRangeNotSatisfiable, "")
	tr.checkConsistent()
}

func TestChunkedResumableUpload(t *testing.T) {
	tr := newTestRegistry(t, nil)
	data := randomBytes(t, 10000)
	d := digest.FromBytes(data)
	resp, body := tr.do("POST", "/v2/r/blobs/uploads/", nil)
	tr.expect(resp, body, http.StatusAccepted, "")
	loc := resp.Header.Get("Location")
	resp, body = tr.do("PATCH", loc, data[:4000], withHeader("Content-Range", "0-3999"))
	tr.expect(resp, body, http.StatusAccepted, "")
	if resp.Header.Get("Range") != "0-3999" {
		t.Fatalf("Range %q", resp.Header.Get("Range"))
	}
	// A chunk that does not continue the upload is refused with 416 ...
	resp, body = tr.do("PATCH", loc, data[5000:6000], withHeader("Content-Range", "5000-5999"))
	tr.expect(resp, body, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID")
	// ... and the status tells the client where to resume.
	resp, body = tr.do("GET", loc, nil)
	tr.expect(resp, body, http.StatusNoContent, "")
	if resp.Header.Get("Range") != "0-3999" {
		t.Fatalf("status Range %q", resp.Header.Get("Range"))
	}
	resp, body = tr.do("PATCH", loc, data[4000:8000]) // streamed, no Content-Range
	tr.expect(resp, body, http.StatusAccepted, "")
	resp, body = tr.do("PUT", loc+"?digest="+d.String(), data[8000:], withHeader("Content-Range", "8000-9999"))
	tr.expect(resp, body, http.StatusCreated, "")
	resp, body = tr.do("GET", "/v2/r/blobs/"+d.String(), nil)
	tr.expect(resp, body, http.StatusOK, "")
	if digest.FromBytes(body) != d {
		t.Fatal("content differs")
	}
	if tr.uploads() != 0 {
		t.Fatal("upload session left behind")
	}
	tr.checkConsistent()
}

func TestUploadCancel(t *testing.T) {
	tr := newTestRegistry(t, nil)
	resp, body := tr.do("POST", "/v2/r/blobs/uploads/", nil)
	tr.expect(resp, body, http.StatusAccepted, "")
	loc := resp.Header.Get("Location")
	resp, body = tr.do("DELETE", loc, nil)
	tr.expect(resp, body, http.StatusNoContent, "")
	resp, body = tr.do("GET", loc, nil)
	tr.expect(resp, body, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
	if tr.uploads() != 0 {
		t.Fatal("cancelled upload left behind")
	}
}

func TestSHA512Blobs(t *testing.T) {
	tr := newTestRegistry(t, nil)
	data := randomBytes(t, 5000)
	d := digest.SHA512.FromBytes(data)
	resp, body := tr.do("POST", "/v2/r/blobs/uploads/", nil)
	tr.expect(resp, body, http.StatusAccepted, "")
	resp, body = tr.do("PUT", resp.Header.Get("Location")+"?digest="+d.String(), data)
	tr.expect(resp, body, http.StatusCreated, "")
	resp, body = tr.do("GET", "/v2/r/blobs/"+d.String(), nil)
	tr.expect(resp, body, http.StatusOK, "")
	if digest.SHA512.FromBytes(body) != d {
		t.Fatal("sha512 content differs")
	}
	tr.checkConsistent()
}

func TestTagsPaginationAndCatalog(t *testing.T) {
	tr := newTestRegistry(t, nil)
	img := randomImage(t, nil, "")
	for _, tag := range []string{"c", "a", "b", "d"} {
		tr.pushImage("ns/repo", tag, img)
	}
	tr.pushImage("other", "x", img)
	resp, body := tr.do("GET", "/v2/ns/repo/tags/list?n=2", nil)
	tr.expect(resp, body, http.StatusOK, "")
	var tl struct{ Tags []string }
	_ = json.Unmarshal(body, &tl)
	if strings.Join(tl.Tags, ",") != "a,b" || !strings.Contains(resp.Header.Get("Link"), "last=b") {
		t.Fatalf("page 1: %s Link=%q", body, resp.Header.Get("Link"))
	}
	resp, body = tr.do("GET", "/v2/ns/repo/tags/list?n=2&last=b", nil)
	tr.expect(resp, body, http.StatusOK, "")
	_ = json.Unmarshal(body, &tl)
	if strings.Join(tl.Tags, ",") != "c,d" {
		t.Fatalf("page 2: %s", body)
	}
	resp, body = tr.do("GET", "/v2/_catalog", nil)
	tr.expect(resp, body, http.StatusOK, "")
	if !strings.Contains(string(body), `["ns/repo","other"]`) {
		t.Fatalf("catalog: %s", body)
	}
	resp, body = tr.do("GET", "/v2/missing/tags/list", nil)
	tr.expect(resp, body, http.StatusNotFound, "NAME_UNKNOWN")
}

func TestReferrers(t *testing.T) {
	tr := newTestRegistry(t, nil)
	base := randomImage(t, nil, "")
	tr.pushImage("r", "base", base)
	subj := &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: base.digest, Size: int64(len(base.manifest))}
	sig := randomImage(t, subj, "application/vnd.example.sig")
	sbom := randomImage(t, subj, "application/vnd.example.sbom")
	for _, a := range []testImage{sig, sbom} {
		tr.pushBlob("r", a.config)
		tr.pushBlob("r", a.layer)
		resp, body := tr.do("PUT", "/v2/r/manifests/"+a.digest.String(), a.manifest, withHeader("Content-Type", ocispec.MediaTypeImageManifest))
		tr.expect(resp, body, http.StatusCreated, "")
		if resp.Header.Get("OCI-Subject") != base.digest.String() {
			t.Fatalf("OCI-Subject %q", resp.Header.Get("OCI-Subject"))
		}
	}
	resp, body := tr.do("GET", "/v2/r/referrers/"+base.digest.String(), nil)
	tr.expect(resp, body, http.StatusOK, "")
	var idx ocispec.Index
	_ = json.Unmarshal(body, &idx)
	if len(idx.Manifests) != 2 {
		t.Fatalf("referrers: %s", body)
	}
	resp, body = tr.do("GET", "/v2/r/referrers/"+base.digest.String()+"?artifactType=application/vnd.example.sbom", nil)
	tr.expect(resp, body, http.StatusOK, "")
	idx = ocispec.Index{}
	_ = json.Unmarshal(body, &idx)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != sbom.digest || resp.Header.Get("OCI-Filters-Applied") != "artifactType" {
		t.Fatalf("filtered referrers: %s", body)
	}
	resp, body = tr.do("DELETE", "/v2/r/manifests/"+sbom.digest.String(), nil)
	tr.expect(resp, body, http.StatusAccepted, "")
	_, body = tr.do("GET", "/v2/r/referrers/"+base.digest.String(), nil)
	idx = ocispec.Index{}
	_ = json.Unmarshal(body, &idx)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != sig.digest {
		t.Fatalf("referrers after delete: %s", body)
	}
}

func TestDockerManifestListAndDeletes(t *testing.T) {
	tr := newTestRegistry(t, nil)
	img := randomImage(t, nil, "")
	tr.pushImage("r", img.digest.String(), img)
	list := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[{"mediaType":%q,"digest":%q,"size":%d,"platform":{"architecture":"amd64","os":"linux"}}]}`,
		mtDockerList, ocispec.MediaTypeImageManifest, img.digest, len(img.manifest))
	resp, body := tr.do("PUT", "/v2/r/manifests/latest", []byte(list), withHeader("Content-Type", mtDockerList))
	tr.expect(resp, body, http.StatusCreated, "")
	resp, body = tr.do("GET", "/v2/r/manifests/latest", nil)
	tr.expect(resp, body, http.StatusOK, "")
	if resp.Header.Get("Content-Type") != mtDockerList || string(body) != list {
		t.Fatalf("manifest list: %v", resp.Header)
	}
	// Deleting the tag keeps the manifest; deleting the digest removes it.
	resp, body = tr.do("DELETE", "/v2/r/manifests/latest", nil)
	tr.expect(resp, body, http.StatusAccepted, "")
	resp, body = tr.do("GET", "/v2/r/manifests/latest", nil)
	tr.expect(resp, body, http.StatusNotFound, "MANIFEST_UNKNOWN")
	resp, body = tr.do("DELETE", "/v2/r/manifests/"+img.digest.String(), nil)
	tr.expect(resp, body, http.StatusAccepted, "")
	resp, body = tr.do("GET", "/v2/r/manifests/"+img.digest.String(), nil)
	tr.expect(resp, body, http.StatusNotFound, "MANIFEST_UNKNOWN")
	ld := digest.FromBytes(img.layer)
	resp, body = tr.do("DELETE", "/v2/r/blobs/"+ld.String(), nil)
	tr.expect(resp, body, http.StatusAccepted, "")
	resp, body = tr.do("HEAD", "/v2/r/blobs/"+ld.String(), nil)
	tr.expect(resp, body, http.StatusNotFound, "")
}

func TestCrossRepositoryMount(t *testing.T) {
	tr := newTestRegistry(t, nil)
	d := tr.pushBlob("src", randomBytes(t, 100))
	resp, body := tr.do("POST", "/v2/dst/blobs/uploads/?mount="+d.String()+"&from=src", nil)
	tr.expect(resp, body, http.StatusCreated, "")
	resp, body = tr.do("HEAD", "/v2/dst/blobs/"+d.String(), nil)
	tr.expect(resp, body, http.StatusOK, "")
	// A mount of content that does not exist starts an ordinary upload.
	missing := digest.FromBytes([]byte("nope"))
	resp, body = tr.do("POST", "/v2/dst/blobs/uploads/?mount="+missing.String()+"&from=src", nil)
	tr.expect(resp, body, http.StatusAccepted, "")
}
