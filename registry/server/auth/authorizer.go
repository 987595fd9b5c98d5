package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrUnauthenticated classes credentials that were presented and are wrong.
var ErrUnauthenticated = errors.New("authentication required")

// Authorizer authenticates requests and decides what they may do.
type Authorizer struct {
	cfg    *Config
	users  *htpasswd
	signer *signer
	ttl    time.Duration
	now    func() time.Time
}

// Option configures an Authorizer.
type Option func(*Authorizer)

// WithClock replaces time.Now (tests issue expired tokens with it).
func WithClock(now func() time.Time) Option { return func(a *Authorizer) { a.now = now } }

// WithKey sets the token signing key (default: the config's key file, else
// 32 random bytes, so tokens die with the process).
func WithKey(key []byte) Option { return func(a *Authorizer) { a.signer.key = key } }

// New builds an Authorizer from cfg, reading its htpasswd and key files.
func New(cfg *Config, opts ...Option) (*Authorizer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	service := cfg.Service
	if service == "" {
		service = "onggi-registry"
	}
	a := &Authorizer{cfg: cfg, ttl: time.Duration(cfg.TokenTTL), now: time.Now,
		signer: &signer{issuer: service, audience: service}}
	if a.ttl <= 0 {
		a.ttl = 5 * time.Minute
	}
	users := &htpasswd{users: map[string][]byte{}, cache: map[[32]byte]time.Time{}}
	if cfg.Htpasswd != "" {
		var err error
		if users, err = loadHtpasswd(cfg.Htpasswd); err != nil {
			return nil, err
		}
	}
	a.users = users
	if err := a.loadKey(); err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

func (a *Authorizer) loadKey() error {
	if a.cfg.KeyFile == "" {
		a.signer.key = make([]byte, 32)
		_, err := rand.Read(a.signer.key)
		return err
	}
	key, err := os.ReadFile(a.cfg.KeyFile)
	if err != nil {
		return fmt.Errorf("reading token key: %w", err)
	}
	if len(key) < 32 {
		return fmt.Errorf("%w: token key %s shorter than 32 bytes", ErrConfigInvalid, a.cfg.KeyFile)
	}
	a.signer.key = key
	return nil
}

// Identity is who a request comes from.
type Identity struct {
	User   string   // "" when anonymous
	access []Access // scopes of a Bearer token; nil for Basic or anonymous
	token  bool
}

// Anonymous reports whether no credentials were presented.
func (id Identity) Anonymous() bool { return id.User == "" && !id.token }

// Authenticate reads the request's credentials. No credentials is the
// anonymous identity; wrong ones (bad password, expired or tampered token)
// are ErrUnauthenticated.
func (a *Authorizer) Authenticate(r *http.Request) (Identity, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return Identity{}, nil
	}
	if user, pass, ok := r.BasicAuth(); ok {
		if !a.users.verify(user, pass) {
			return Identity{}, fmt.Errorf("user %q: %w", user, ErrUnauthenticated)
		}
		return Identity{User: user}, nil
	}
	if tok, ok := cutPrefixFold(h, "Bearer "); ok {
		c, err := a.signer.verify(strings.TrimSpace(tok), a.now())
		if err != nil {
			return Identity{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
		}
		return Identity{User: c.Subject, access: c.Access, token: true}, nil
	}
	return Identity{}, fmt.Errorf("%w: unsupported authorization scheme", ErrUnauthenticated)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// Allowed reports whether id may perform action on repo: the rules must
// permit it and, for a token, the token must carry the scope. The rules are
// checked again even for a valid token so that a revoked right takes effect
// at once rather than when the token expires.
func (a *Authorizer) Allowed(id Identity, repo, action string) bool {
	if !a.cfg.Permits(id.User, repo, action) {
		return false
	}
	if !id.token {
		return true
	}
	for _, acc := range id.access {
		if acc.Type == "repository" && acc.Name == repo &&
			(slices.Contains(acc.Actions, action) || slices.Contains(acc.Actions, "*")) {
			return true
		}
	}
	return false
}

// CanList reports whether repo appears in id's catalog: the repositories it
// may pull, whatever scopes its token holds.
func (a *Authorizer) CanList(id Identity, repo string) bool {
	return a.cfg.Permits(id.User, repo, "pull")
}

// Challenge sets the WWW-Authenticate header telling the client how to
// authenticate for scope ("" for the base endpoint).
func (a *Authorizer) Challenge(h http.Header, r *http.Request, scope string) {
	if a.cfg.Challenge == "basic" {
		h.Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", a.signer.audience))
		return
	}
	v := fmt.Sprintf("Bearer realm=%q,service=%q", a.realm(r), a.signer.audience)
	if scope != "" {
		v += fmt.Sprintf(",scope=%q", scope)
	}
	h.Set("WWW-Authenticate", v)
}

// TokenPath is where the server mounts ServeToken.
const TokenPath = "/token"

func (a *Authorizer) realm(r *http.Request) string {
	if a.cfg.Realm != "" {
		return a.cfg.Realm
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + TokenPath
}
