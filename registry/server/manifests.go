package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/onggi/onggi/registry/server/auth"
	"github.com/onggi/onggi/registry/server/storage"
)

var timeZero time.Time

// Manifest media types the registry stores. Docker schema 1 is refused: it
// was retired from every maintained client and registry.
const (
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtOCIArtifact    = "application/vnd.oci.artifact.manifest.v1+json"
)

func isIndexType(mt string) bool { return mt == ocispec.MediaTypeImageIndex || mt == mtDockerList }

func knownManifestType(mt string) bool {
	switch mt {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex, mtDockerManifest, mtDockerList, mtOCIArtifact:
		return true
	}
	return false
}

// manifestFields is the union of the fields of every accepted manifest type.
type manifestFields struct {
	SchemaVersion int                  `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	ArtifactType  string               `json:"artifactType"`
	Config        *ocispec.Descriptor  `json:"config"`
	Layers        []ocispec.Descriptor `json:"layers"`
	Blobs         []ocispec.Descriptor `json:"blobs"`
	Manifests     []ocispec.Descriptor `json:"manifests"`
	Subject       *ocispec.Descriptor  `json:"subject"`
	Annotations   map[string]string    `json:"annotations"`
}

func (s *Server) resolve(repo, ref string) (digest.Digest, error) {
	if storage.IsDigest(ref) {
		return storage.ParseDigest(ref)
	}
	return s.store.ResolveTag(repo, ref)
}

func (s *Server) getManifest(w http.ResponseWriter, r *http.Request, rt route, _ auth.Identity) error {
	d, err := s.resolve(rt.name, rt.ref)
	if err != nil {
		return err
	}
	m, err := s.store.GetManifest(rt.name, d)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", m.MediaType)
	h.Set("Docker-Content-Digest", m.Digest.String())
	h.Set("ETag", `"`+m.Digest.String()+`"`)
	h.Set("Content-Length", strconv.Itoa(len(m.Content)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(m.Content)
	}
	return nil
}

func (s *Server) putManifest(w http.ResponseWriter, r *http.Request, rt route, _ auth.Identity) error {
	content, err := io.ReadAll(io.LimitReader(r.Body, s.maxManifest+1))
	if err != nil {
		return errBadRequest("MANIFEST_INVALID", "reading manifest: "+err.Error())
	}
	if int64(len(content)) > s.maxManifest {
		return newError(http.StatusRequestEntityTooLarge, "SIZE_INVALID",
			fmt.Sprintf("manifest larger than %d bytes", s.maxManifest))
	}
	d, tags, err := manifestTarget(r, rt.ref, content)
	if err != nil {
		return err
	}
	mf, mt, err := parseManifest(r.Header.Get("Content-Type"), content)
	if err != nil {
		return err
	}
	opts, err := storeOptions(mf, mt, d, int64(len(content)))
	if err != nil {
		return err
	}
	opts.Tags = tags
	if err := s.store.PutManifest(rt.name, storage.Manifest{Digest: d, MediaType: mt, Content: content}, opts); err != nil {
		return err
	}
	if mf.Subject != nil {
		w.Header().Set("OCI-Subject", mf.Subject.Digest.String())
	}
	for _, t := range opts.Tags {
		w.Header().Add("OCI-Tag", t)
	}
	w.Header().Set("Location", "/v2/"+rt.name+"/manifests/"+d.String())
	w.Header().Set("Docker-Content-Digest", d.String())
	w.WriteHeader(http.StatusCreated)
	return nil
}

// manifestTarget works out the manifest's digest and tags from the
// reference it is pushed to (a tag, or a digest the content must match,
// optionally with ?tag= parameters).
func manifestTarget(r *http.Request, ref string, content []byte) (digest.Digest, []string, error) {
	if !storage.IsDigest(ref) {
		if err := storage.ValidateTag(ref); err != nil {
			return "", nil, errBadRequest("MANIFEST_INVALID", err.Error())
		}
		return digest.SHA256.FromBytes(content), []string{ref}, nil
	}
	want, err := storage.ParseDigest(ref)
	if err != nil {
		return "", nil, err
	}
	if got := want.Algorithm().FromBytes(content); got != want {
		return "", nil, errBadRequest("DIGEST_INVALID", fmt.Sprintf("manifest has digest %s, not %s", got, want))
	}
	tags := r.URL.Query()["tag"]
	for _, t := range tags {
		if err := storage.ValidateTag(t); err != nil {
			return "", nil, errBadRequest("MANIFEST_INVALID", err.Error())
		}
	}
	return want, tags, nil
}

// parseManifest decodes content and settles its media type from the
// Content-Type header and the mediaType field, which must agree.
func parseManifest(contentType string, content []byte) (manifestFields, string, error) {
	var mf manifestFields
	dec := json.NewDecoder(bytes.NewReader(content))
	if err := dec.Decode(&mf); err != nil {
		return mf, "", errBadRequest("MANIFEST_INVALID", "manifest is not valid JSON: "+err.Error())
	}
	if mf.SchemaVersion != 2 {
		return mf, "", errBadRequest("MANIFEST_INVALID", fmt.Sprintf("unsupported schemaVersion %d", mf.SchemaVersion))
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mf.MediaType != "" && knownManifestType(mt) && mt != mf.MediaType:
		return mf, "", errBadRequest("MANIFEST_INVALID", fmt.Sprintf("Content-Type %s does not match mediaType %s", mt, mf.MediaType))
	case mf.MediaType != "":
		mt = mf.MediaType
	case knownManifestType(mt):
	case mf.Manifests != nil:
		mt = ocispec.MediaTypeImageIndex
	default:
		mt = ocispec.MediaTypeImageManifest
	}
	if !knownManifestType(mt) {
		return mf, "", errBadRequest("MANIFEST_INVALID", "unsupported manifest media type "+strconv.Quote(mt))
	}
	if !isIndexType(mt) && mt != mtOCIArtifact && mf.Config == nil {
		return mf, "", errBadRequest("MANIFEST_INVALID", "image manifest without config")
	}
	return mf, mt, nil
}

// storeOptions lists what the manifest references and, if it has a subject,
// the descriptor under which the referrers API lists it.
func storeOptions(mf manifestFields, mt string, d digest.Digest, size int64) (storage.PutManifestOptions, error) {
	var o storage.PutManifestOptions
	blobs := append(append([]ocispec.Descriptor{}, mf.Layers...), mf.Blobs...)
	if mf.Config != nil {
		blobs = append(blobs, *mf.Config)
	}
	for _, b := range blobs {
		bd, err := checkDescriptor(b)
		if err != nil {
			return o, err
		}
		if required(b) {
			o.Blobs = append(o.Blobs, bd)
		}
	}
	for _, m := range mf.Manifests {
		md, err := checkDescriptor(m)
		if err != nil {
			return o, err
		}
		o.Manifests = append(o.Manifests, md)
	}
	if mf.Subject != nil {
		sd, err := checkDescriptor(*mf.Subject)
		if err != nil {
			return o, err
		}
		o.Subject = sd
		o.Referrer = ocispec.Descriptor{MediaType: mt, Digest: d, Size: size,
			ArtifactType: referrerArtifactType(mf), Annotations: mf.Annotations}
	}
	return o, nil
}

func checkDescriptor(desc ocispec.Descriptor) (digest.Digest, error) {
	d, err := storage.ParseDigest(desc.Digest.String())
	if err != nil {
		return "", errBadRequest("MANIFEST_INVALID", "descriptor: "+err.Error())
	}
	if desc.Size < 0 {
		return "", errBadRequest("MANIFEST_INVALID", "descriptor with negative size")
	}
	return d, nil
}

// required reports whether a referenced blob must already be in the
// repository. Non-distributable (foreign) layers live elsewhere by design,
// and a descriptor carrying its bytes inline in "data" needs no blob.
func required(desc ocispec.Descriptor) bool {
	if strings.Contains(desc.MediaType, "nondistributable") || strings.Contains(desc.MediaType, "foreign") || len(desc.URLs) > 0 {
		return false
	}
	if len(desc.Data) > 0 && desc.Digest.Algorithm().Available() && desc.Digest.Algorithm().FromBytes(desc.Data) == desc.Digest {
		return false
	}
	return true
}

// referrerArtifactType follows the spec: the manifest's artifactType, or
// for an image manifest without one, its config's media type.
func referrerArtifactType(mf manifestFields) string {
	if mf.ArtifactType != "" {
		return mf.ArtifactType
	}
	if mf.Config != nil {
		return mf.Config.MediaType
	}
	return ""
}

func (s *Server) deleteManifest(w http.ResponseWriter, r *http.Request, rt route, _ auth.Identity) error {
	var err error
	if storage.IsDigest(rt.ref) {
		var d digest.Digest
		if d, err = storage.ParseDigest(rt.ref); err == nil {
			err = s.store.DeleteManifest(rt.name, d)
		}
	} else {
		err = s.store.DeleteTag(rt.name, rt.ref)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}
