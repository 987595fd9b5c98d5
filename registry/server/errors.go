package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/onggi/onggi/registry/server/storage"
)

// apiError is one entry of the spec's error body, with its HTTP status.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

var (
	errUnsupported = func(msg string) *apiError { return newError(http.StatusMethodNotAllowed, "UNSUPPORTED", msg) }
	errNotFound    = newError(http.StatusNotFound, "NOT_FOUND", "no such endpoint")
)

// classify maps storage error classes to spec codes; this is the one place
// where that mapping lives. Anything unclassified is a server fault.
func classify(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	table := []struct {
		class  error
		status int
		code   string
	}{
		{storage.ErrNameInvalid, http.StatusBadRequest, "NAME_INVALID"},
		{storage.ErrNameUnknown, http.StatusNotFound, "NAME_UNKNOWN"},
		{storage.ErrTagInvalid, http.StatusBadRequest, "MANIFEST_INVALID"},
		{storage.ErrDigestInvalid, http.StatusBadRequest, "DIGEST_INVALID"},
		{storage.ErrBlobUnknown, http.StatusNotFound, "BLOB_UNKNOWN"},
		{storage.ErrManifestUnknown, http.StatusNotFound, "MANIFEST_UNKNOWN"},
		{storage.ErrManifestBlobUnknown, http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN"},
		{storage.ErrUploadUnknown, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN"},
		{storage.ErrRangeInvalid, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID"},
		{storage.ErrSizeInvalid, http.StatusBadRequest, "SIZE_INVALID"},
	}
	for _, t := range table {
		if errors.Is(err, t.class) {
			return newError(t.status, t.code, err.Error())
		}
	}
	return newError(http.StatusInternalServerError, "UNKNOWN", err.Error())
}

// writeError sends err as the spec's JSON error body.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := classify(err)
	if ae.Status >= 500 {
		s.log.Printf("registry: %s %s: %v", r.Method, r.URL.Path, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ae.Status)
	if r.Method == http.MethodHead {
		return
	}
	_ = json.NewEncoder(w).Encode(struct {
		Errors []*apiError `json:"errors"`
	}{[]*apiError{ae}})
}
