package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/onggi/onggi/registry/server/auth"
	"github.com/onggi/onggi/registry/server/storage"
)

// startUpload handles POST /v2/<name>/blobs/uploads/: a cross-repository
// mount (?mount=&from=), a monolithic upload (?digest=), or the start of a
// chunked or streamed session.
func (s *Server) startUpload(w http.ResponseWriter, r *http.Request, rt route, id auth.Identity) error {
	q := r.URL.Query()
	if m := q.Get("mount"); m != "" {
		d, err := storage.ParseDigest(m)
		if err != nil {
			return err
		}
		from := q.Get("from")
		if s.needsSourceScope(r, id, from) {
			// The rules let this user read the source but the token was
			// issued for the target alone: ask for a token covering both,
			// as distribution does. Clients then retry the mount.
			s.auth.Challenge(w.Header(), r, auth.Scope(rt.name, "pull", "push")+" "+auth.Scope(from, "pull"))
			return newError(http.StatusUnauthorized, "UNAUTHORIZED", "mount needs pull access to "+from)
		}
		if s.mount(rt.name, from, d, id) {
			s.blobCreated(w, rt.name, d)
			return nil
		}
		// Spec: a mount that cannot happen falls back to a new session.
	} else if dg := q.Get("digest"); dg != "" {
		d, err := storage.ParseDigest(dg)
		if err != nil {
			return err
		}
		if err := s.store.PutBlob(rt.name, d, r.ContentLength, r.Body); err != nil {
			return err
		}
		s.blobCreated(w, rt.name, d)
		return nil
	}
	u, err := s.store.StartUpload(rt.name)
	if err != nil {
		return err
	}
	s.uploadAccepted(w, rt.name, u, http.StatusAccepted)
	return nil
}

// mount links d into repo from another repository the client may read.
// Without a source ("anonymous" mount) any repository the client may read
// will do; with auth off that is every repository.
func (s *Server) mount(repo, from string, d digest.Digest, id auth.Identity) bool {
	if from != "" {
		if storage.ValidateName(from) != nil || !s.readable(id, from) || !s.store.BlobLinked(from, d) {
			return false
		}
		return s.store.MountBlob(repo, d) == nil
	}
	if !s.store.BlobExists(d) {
		return false
	}
	if s.auth != nil {
		if !s.readableSomewhere(id, d) {
			return false
		}
	}
	return s.store.MountBlob(repo, d) == nil
}

// needsSourceScope reports whether a mount from repository from fails only
// for want of the token scope, not of the right.
func (s *Server) needsSourceScope(r *http.Request, id auth.Identity, from string) bool {
	return s.auth != nil && from != "" && isToken(r) && storage.ValidateName(from) == nil &&
		!s.auth.Allowed(id, from, "pull") && s.auth.CanList(id, from)
}

func (s *Server) readable(id auth.Identity, repo string) bool {
	return s.auth == nil || s.auth.Allowed(id, repo, "pull")
}

func (s *Server) readableSomewhere(id auth.Identity, d digest.Digest) bool {
	repos, err := s.store.Repositories()
	if err != nil {
		return false
	}
	for _, repo := range repos {
		if s.auth.CanList(id, repo) && s.store.BlobLinked(repo, d) {
			return true
		}
	}
	return false
}

func (s *Server) blobCreated(w http.ResponseWriter, repo string, d digest.Digest) {
	w.Header().Set("Location", "/v2/"+repo+"/blobs/"+d.String())
	w.Header().Set("Docker-Content-Digest", d.String())
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) uploadAccepted(w http.ResponseWriter, repo string, u storage.Upload, status int) {
	h := w.Header()
	h.Set("Location", "/v2/"+repo+"/blobs/uploads/"+u.ID)
	h.Set("Docker-Upload-UUID", u.ID)
	end := u.Size - 1
	if end < 0 {
		end = 0
	}
	h.Set("Range", fmt.Sprintf("0-%d", end))
	h.Set("Content-Length", "0")
	w.WriteHeader(status)
}

func (s *Server) uploadStatus(w http.ResponseWriter, r *http.Request, rt route, _ auth.Identity) error {
	u, err := s.store.StatUpload(rt.name, rt.ref)
	if err != nil {
		return err
	}
	s.uploadAccepted(w, rt.name, u, http.StatusNoContent)
	return nil
}

// parseContentRange reads a chunk's "<start>-<end>" Content-Range. It
// returns -1, -1 when the header is absent (a streamed chunk).
func parseContentRange(r *http.Request) (start, length int64, err error) {
	v := r.Header.Get("Content-Range")
	if v == "" {
		return -1, r.ContentLength, nil
	}
	v = strings.TrimPrefix(v, "bytes ")
	v, _, _ = strings.Cut(v, "/")
	a, b, ok := strings.Cut(v, "-")
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, newError(http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", "invalid Content-Range "+v)
	}
	length = end - start + 1
	if r.ContentLength >= 0 && r.ContentLength != length {
		return 0, 0, errBadRequest("SIZE_INVALID", "Content-Length does not match Content-Range")
	}
	return start, length, nil
}

func (s *Server) patchUpload(w http.ResponseWriter, r *http.Request, rt route, _ auth.Identity) error {
	start, length, err := parseContentRange(r)
	if err != nil {
		return err
	}
	u, err := s.store.WriteUpload(rt.name, rt.ref, start, length, r.Body)
	if err != nil {
		if ae := classify(err); ae.Status == http.StatusRequestedRangeNotSatisfiable {
			// Tell the client where to resume.
			w.Header().Set("Location", "/v2/"+rt.name+"/blobs/uploads/"+rt.ref)
			w.Header().Set("Range", fmt.Sprintf("0-%d", max(u.Size-1, 0)))
		}
		return err
	}
	s.uploadAccepted(w, rt.name, u, http.StatusAccepted)
	return nil
}

// putUpload completes an upload, with an optional last chunk in the body.
func (s *Server) putUpload(w http.ResponseWriter, r *http.Request, rt route, id auth.Identity) error {
	d, err := storage.ParseDigest(r.URL.Query().Get("digest"))
	if err != nil {
		return err
	}
	start, length, err := parseContentRange(r)
	if err != nil {
		return err
	}
	if length != 0 {
		if _, err := s.store.WriteUpload(rt.name, rt.ref, start, length, r.Body); err != nil {
			if ae := classify(err); ae.Status == http.StatusRequestedRangeNotSatisfiable {
				w.Header().Set("Location", "/v2/"+rt.name+"/blobs/uploads/"+rt.ref)
			}
			return err
		}
	}
	if err := s.store.CommitUpload(rt.name, rt.ref, d); err != nil {
		return err
	}
	s.blobCreated(w, rt.name, d)
	return nil
}

func (s *Server) cancelUpload(w http.ResponseWriter, r *http.Request, rt route, _ auth.Identity) error {
	if err := s.store.CancelUpload(rt.name, rt.ref); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
