package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// tokenResponse is the token endpoint's answer; both field names are sent
// because Docker clients read "token" and OAuth2 clients "access_token".
type tokenResponse struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// ServeToken is the token endpoint: GET with optional Basic credentials and
// scope parameters (Docker's flow), or POST with an OAuth2 password grant.
// It grants the intersection of the requested scopes and the rules; an
// anonymous request gets a token for what anonymous clients may do.
func (a *Authorizer) ServeToken(w http.ResponseWriter, r *http.Request) {
	user, scopes, err := a.tokenRequest(r)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, ErrUnauthenticated) {
			status = http.StatusUnauthorized
			a.Challenge(w.Header(), r, "")
		}
		writeTokenError(w, status, err)
		return
	}
	now := a.now()
	tok, err := a.signer.sign(claims{
		Issuer: a.signer.issuer, Subject: user, Audience: a.signer.audience,
		Expiry: now.Add(a.ttl).Unix(), NotBefore: now.Unix(), IssuedAt: now.Unix(),
		ID: randomID(), Access: a.grant(user, scopes),
	})
	if err != nil {
		writeTokenError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(tokenResponse{Token: tok, AccessToken: tok,
		ExpiresIn: int(a.ttl / time.Second), IssuedAt: now.UTC().Format(time.RFC3339)})
}

var errBadTokenRequest = errors.New("bad token request")

func (a *Authorizer) tokenRequest(r *http.Request) (string, []string, error) {
	switch r.Method {
	case http.MethodGet:
		var scopes []string
		for _, s := range r.URL.Query()["scope"] {
			scopes = append(scopes, strings.Fields(s)...)
		}
		user, pass, ok := r.BasicAuth()
		if !ok {
			if r.Header.Get("Authorization") != "" {
				return "", nil, ErrUnauthenticated
			}
			return "", scopes, nil
		}
		if !a.users.verify(user, pass) {
			return "", nil, ErrUnauthenticated
		}
		return user, scopes, nil
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			return "", nil, errBadTokenRequest
		}
		if r.PostForm.Get("grant_type") != "password" {
			return "", nil, errBadTokenRequest
		}
		user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
		if !a.users.verify(user, pass) {
			return "", nil, ErrUnauthenticated
		}
		return user, strings.Fields(r.PostForm.Get("scope")), nil
	}
	return "", nil, errBadTokenRequest
}

// grant returns the part of the requested scopes that user holds.
func (a *Authorizer) grant(user string, scopes []string) []Access {
	out := []Access{}
	for _, s := range scopes {
		req, ok := parseScope(s)
		if !ok {
			continue
		}
		if req.Type == "registry" && req.Name == "catalog" {
			// The catalog is filtered per user, so asking is harmless.
			out = append(out, Access{Type: "registry", Name: "catalog", Actions: []string{"*"}})
			continue
		}
		if req.Type != "repository" {
			continue
		}
		granted := Access{Type: "repository", Name: req.Name, Actions: []string{}}
		for _, act := range req.Actions {
			if a.permitsAction(user, req.Name, act) {
				granted.Actions = append(granted.Actions, act)
			}
		}
		out = append(out, granted)
	}
	return out
}

func (a *Authorizer) permitsAction(user, repo, act string) bool {
	if act == "*" {
		return a.cfg.Permits(user, repo, "pull") && a.cfg.Permits(user, repo, "push")
	}
	return a.cfg.Permits(user, repo, act)
}

func writeTokenError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	code := "UNAUTHORIZED"
	if status == http.StatusBadRequest {
		code = "UNSUPPORTED"
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]string{{"code": code, "message": err.Error()}},
	})
}
