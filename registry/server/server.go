package server

import (
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/onggi/onggi/registry/server/auth"
	"github.com/onggi/onggi/registry/server/storage"
)

// DefaultMaxManifestSize is the largest manifest accepted: the spec asks
// registries to take at least 4 MiB.
const DefaultMaxManifestSize = 4 << 20

// Server serves the distribution API from a Store.
type Server struct {
	store       *storage.Store
	auth        *auth.Authorizer // nil: no authentication, everything allowed
	maxManifest int64
	log         *log.Logger
}

// Option configures a Server.
type Option func(*Server)

// WithAuth enables authentication and access rules.
func WithAuth(a *auth.Authorizer) Option { return func(s *Server) { s.auth = a } }

// WithMaxManifestSize changes the manifest size limit.
func WithMaxManifestSize(n int64) Option { return func(s *Server) { s.maxManifest = n } }

// WithLogger sets where server faults are logged (default: discarded).
func WithLogger(l *log.Logger) Option { return func(s *Server) { s.log = l } }

// New returns a Server for store.
func New(store *storage.Store, opts ...Option) *Server {
	s := &Server{store: store, maxManifest: DefaultMaxManifestSize, log: log.New(io.Discard, "", 0)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// route is a parsed request path.
type route struct {
	kind string // base, catalog, tags, manifest, blob, uploads, upload, referrers
	name string // repository
	ref  string // tag, digest or upload id
}

// parseRoute splits /v2/<name>/<endpoint>. Names may contain slashes, so
// the endpoint is recognised from the end of the path.
func parseRoute(p string) (route, bool) {
	if p == "/v2/" || p == "/v2" {
		return route{kind: "base"}, true
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return route{}, false
	}
	if rest == "_catalog" {
		return route{kind: "catalog"}, true
	}
	seg := strings.Split(rest, "/")
	n := len(seg)
	join := func(k int) string { return strings.Join(seg[:n-k], "/") }
	switch {
	case n >= 3 && seg[n-2] == "tags" && seg[n-1] == "list":
		return route{kind: "tags", name: join(2)}, true
	case n >= 3 && seg[n-2] == "blobs" && seg[n-1] == "uploads":
		return route{kind: "uploads", name: join(2)}, true
	case n >= 4 && seg[n-3] == "blobs" && seg[n-2] == "uploads":
		if seg[n-1] == "" {
			return route{kind: "uploads", name: join(3)}, true
		}
		return route{kind: "upload", name: join(3), ref: seg[n-1]}, true
	case n >= 3 && seg[n-2] == "blobs":
		return route{kind: "blob", name: join(2), ref: seg[n-1]}, true
	case n >= 3 && seg[n-2] == "manifests":
		return route{kind: "manifest", name: join(2), ref: seg[n-1]}, true
	case n >= 3 && seg[n-2] == "referrers":
		return route{kind: "referrers", name: join(2), ref: seg[n-1]}, true
	}
	return route{}, false
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if s.auth != nil && r.URL.Path == auth.TokenPath {
		s.auth.ServeToken(w, r)
		return
	}
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		s.writeError(w, r, errNotFound)
		return
	}
	if rt.name != "" {
		if err := storage.ValidateName(rt.name); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	id, ok := s.authorize(w, r, rt)
	if !ok {
		return
	}
	s.dispatch(w, r, rt, id)
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, rt route, id auth.Identity) {
	type handler func(http.ResponseWriter, *http.Request, route, auth.Identity) error
	table := map[string]map[string]handler{
		"base":      {"GET": s.base, "HEAD": s.base},
		"catalog":   {"GET": s.catalog},
		"tags":      {"GET": s.tags},
		"referrers": {"GET": s.referrers},
		"manifest":  {"GET": s.getManifest, "HEAD": s.getManifest, "PUT": s.putManifest, "DELETE": s.deleteManifest},
		"blob":      {"GET": s.getBlob, "HEAD": s.getBlob, "DELETE": s.deleteBlob},
		"uploads":   {"POST": s.startUpload},
		"upload":    {"GET": s.uploadStatus, "PATCH": s.patchUpload, "PUT": s.putUpload, "DELETE": s.cancelUpload},
	}
	h, ok := table[rt.kind][r.Method]
	if !ok {
		s.writeError(w, r, errUnsupported(r.Method+" not supported on "+rt.kind))
		return
	}
	if err := h(w, r, rt, id); err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Server) base(w http.ResponseWriter, r *http.Request, _ route, _ auth.Identity) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = io.WriteString(w, "{}")
	}
	return nil
}

// action is the access a request needs on its repository.
func action(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return "pull"
	case http.MethodDelete:
		return "delete"
	}
	return "push"
}

// authorize authenticates the request and checks it may do what it asks.
// Refusals look the same whether or not the repository exists, so that
// private repository names do not leak.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, rt route) (auth.Identity, bool) {
	if s.auth == nil {
		return auth.Identity{}, true
	}
	id, err := s.auth.Authenticate(r)
	scope := ""
	if rt.name != "" {
		scope = auth.Scope(rt.name, action(r))
		if action(r) == "push" {
			scope = auth.Scope(rt.name, "pull", "push")
		}
	}
	switch {
	case err != nil:
	case rt.kind == "catalog":
		return id, true
	case rt.kind == "base":
		if !id.Anonymous() {
			return id, true
		}
	case s.auth.Allowed(id, rt.name, action(r)):
		return id, true
	case !id.Anonymous() && !isToken(r):
		// Authenticated by password and still refused: more credentials
		// will not help, so this is a denial rather than a challenge.
		s.writeError(w, r, newError(http.StatusForbidden, "DENIED", "requested access to the resource is denied"))
		return id, false
	}
	s.auth.Challenge(w.Header(), r, scope)
	s.writeError(w, r, newError(http.StatusUnauthorized, "UNAUTHORIZED", "authentication required"))
	return id, false
}

func isToken(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	return len(h) > 7 && strings.EqualFold(h[:7], "bearer ")
}

// errBadRequest builds a 400 with the given spec code.
func errBadRequest(code, msg string) error { return newError(http.StatusBadRequest, code, msg) }
