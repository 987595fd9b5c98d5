package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/onggi/onggi/registry/server/auth"
	"github.com/onggi/onggi/registry/server/storage"
)

// paginate applies the spec's n/last parameters to a sorted list and sets
// the Link header for the next page.
func paginate(w http.ResponseWriter, r *http.Request, all []string) ([]string, error) {
	q := r.URL.Query()
	if last := q.Get("last"); last != "" {
		i := sort.SearchStrings(all, last)
		if i < len(all) && all[i] == last {
			i++
		}
		all = all[i:]
	}
	if ns := q.Get("n"); ns != "" {
		n, err := strconv.Atoi(ns)
		if err != nil || n < 0 {
			return nil, errBadRequest("PAGINATION_NUMBER_INVALID", "invalid n "+strconv.Quote(ns))
		}
		if n < len(all) {
			all = all[:n]
			if n > 0 {
				next := url.Values{"n": {ns}, "last": {all[n-1]}}
				w.Header().Set("Link", "<"+r.URL.Path+"?"+next.Encode()+`>; rel="next"`)
			}
		}
	}
	return all, nil
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) tags(w http.ResponseWriter, r *http.Request, rt route, _ auth.Identity) error {
	all, err := s.store.Tags(rt.name)
	if err != nil {
		return err
	}
	page, err := paginate(w, r, all)
	if err != nil {
		return err
	}
	writeJSON(w, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{rt.name, page})
	return nil
}

// catalog lists repositories; with auth on, only those the client may pull,
// so an anonymous client sees the public ones only.
func (s *Server) catalog(w http.ResponseWriter, r *http.Request, _ route, id auth.Identity) error {
	repos, err := s.store.Repositories()
	if err != nil {
		return err
	}
	visible := []string{}
	for _, repo := range repos {
		if s.auth == nil || s.auth.CanList(id, repo) {
			visible = append(visible, repo)
		}
	}
	page, err := paginate(w, r, visible)
	if err != nil {
		return err
	}
	writeJSON(w, "application/json", struct {
		Repositories []string `json:"repositories"`
	}{page})
	return nil
}

func (s *Server) referrers(w http.ResponseWriter, r *http.Request, rt route, _ auth.Identity) error {
	d, err := storage.ParseDigest(rt.ref)
	if err != nil {
		return err
	}
	descs, err := s.store.Referrers(rt.name, d)
	if err != nil {
		return err
	}
	if at := r.URL.Query().Get("artifactType"); at != "" {
		kept := []ocispec.Descriptor{}
		for _, desc := range descs {
			if desc.ArtifactType == at {
				kept = append(kept, desc)
			}
		}
		descs = kept
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: descs}
	idx.SchemaVersion = 2
	writeJSON(w, ocispec.MediaTypeImageIndex, idx)
	return nil
}
