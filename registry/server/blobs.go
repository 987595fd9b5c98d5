package server

import (
	"net/http"
	"strconv"

	"github.com/opencontainers/go-digest"

	"github.com/onggi/onggi/registry/server/auth"
	"github.com/onggi/onggi/registry/server/storage"
)

// getBlob serves GET and HEAD of a blob, with Range support from
// http.ServeContent (206 for a satisfiable range, 416 otherwise).
func (s *Server) getBlob(w http.ResponseWriter, r *http.Request, rt route, _ auth.Identity) error {
	d, err := storage.ParseDigest(rt.ref)
	if err != nil {
		return err
	}
	if r.Method == http.MethodHead {
		size, err := s.store.StatBlob(rt.name, d)
		if err != nil {
			return err
		}
		setBlobHeaders(w, d)
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		w.WriteHeader(http.StatusOK)
		return nil
	}
	f, _, err := s.store.OpenBlob(rt.name, d)
	if err != nil {
		return err
	}
	defer f.Close()
	setBlobHeaders(w, d)
	http.ServeContent(w, r, "", timeZero, f)
	return nil
}

func setBlobHeaders(w http.ResponseWriter, d digest.Digest) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Docker-Content-Digest", d.String())
	h.Set("ETag", `"`+d.String()+`"`)
	// Content-addressed: the bytes behind a digest never change.
	h.Set("Cache-Control", "max-age=31536000")
}

func (s *Server) deleteBlob(w http.ResponseWriter, r *http.Request, rt route, _ auth.Identity) error {
	d, err := storage.ParseDigest(rt.ref)
	if err != nil {
		return err
	}
	if err := s.store.DeleteBlob(rt.name, d); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}
