package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrTokenInvalid classes every reason a Bearer token is refused: bad
// format, bad signature, expired, not yet valid, wrong audience.
var ErrTokenInvalid = errors.New("invalid token")

// Access is one granted scope entry, as in Docker's token specification.
type Access struct {
	Type    string   `json:"type"` // "repository" or "registry"
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// claims are the JWT claims of a registry token.
type claims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  string   `json:"aud"`
	Expiry    int64    `json:"exp"`
	NotBefore int64    `json:"nbf"`
	IssuedAt  int64    `json:"iat"`
	ID        string   `json:"jti"`
	Access    []Access `json:"access"`
}

const jwtHeader = `{"alg":"HS256","typ":"JWT"}`

// leeway tolerates clock skew between several servers sharing a key.
const leeway = 30 * time.Second

type signer struct {
	key      []byte
	issuer   string
	audience string
}

func (s *signer) sign(c claims) (string, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encoding token: %w", err)
	}
	enc := base64.RawURLEncoding
	msg := enc.EncodeToString([]byte(jwtHeader)) + "." + enc.EncodeToString(body)
	return msg + "." + enc.EncodeToString(s.mac(msg)), nil
}

func (s *signer) mac(msg string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// verify checks token's signature, algorithm, audience and lifetime and
// returns its claims.
func (s *signer) verify(token string, now time.Time) (claims, error) {
	var c claims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, fmt.Errorf("%w: malformed", ErrTokenInvalid)
	}
	enc := base64.RawURLEncoding
	sig, err := enc.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, s.mac(parts[0]+"."+parts[1])) {
		return c, fmt.Errorf("%w: bad signature", ErrTokenInvalid)
	}
	// The header is checked after the signature, and only HS256 is ever
	// accepted, so "alg":"none" tricks have nothing to work with.
	hdr, err := enc.DecodeString(parts[0])
	var h struct{ Alg string }
	if err != nil || json.Unmarshal(hdr, &h) != nil || h.Alg != "HS256" {
		return c, fmt.Errorf("%w: unsupported header", ErrTokenInvalid)
	}
	body, err := enc.DecodeString(parts[1])
	if err != nil || json.Unmarshal(body, &c) != nil {
		return c, fmt.Errorf("%w: bad claims", ErrTokenInvalid)
	}
	switch {
	case c.Audience != s.audience || c.Issuer != s.issuer:
		return c, fmt.Errorf("%w: issued for %q by %q", ErrTokenInvalid, c.Audience, c.Issuer)
	case now.After(time.Unix(c.Expiry, 0).Add(leeway)):
		return c, fmt.Errorf("%w: expired", ErrTokenInvalid)
	case now.Add(leeway).Before(time.Unix(c.NotBefore, 0)):
		return c, fmt.Errorf("%w: not yet valid", ErrTokenInvalid)
	}
	return c, nil
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// parseScope splits "repository:library/debian:pull,push". Repository
// names cannot contain ':' but a registry scope name can be anything, so
// the type is before the first ':' and the actions after the last.
func parseScope(s string) (Access, bool) {
	typ, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Access{}, false
	}
	i := strings.LastIndex(rest, ":")
	if i < 0 || typ == "" || rest[:i] == "" {
		return Access{}, false
	}
	return Access{Type: typ, Name: rest[:i], Actions: strings.Split(rest[i+1:], ",")}, true
}

// Scope formats a repository scope for a WWW-Authenticate challenge.
func Scope(repo string, actions ...string) string {
	return "repository:" + repo + ":" + strings.Join(actions, ",")
}
