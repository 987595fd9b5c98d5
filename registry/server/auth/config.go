package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"
)

// ErrConfigInvalid classes problems with the auth configuration.
var ErrConfigInvalid = errors.New("invalid registry auth config")

// Config is the registry's access configuration, read from a JSON file:
//
//	{
//	  "htpasswd": "/etc/onggi/registry.htpasswd",
//	  "service": "registry.example.com",
//	  "tokenTTL": "5m",
//	  "groups": {"devs": ["alice", "bob"]},
//	  "repositories": [
//	    {"name": "library/*", "public": true, "push": ["group:devs"]},
//	    {"name": "alice/*", "pull": ["alice", "group:devs"], "push": ["alice"]},
//	    {"name": "*", "pull": ["*"], "push": []}
//	  ]
//	}
//
// Rules are tried in order and the first whose name pattern matches a
// repository decides; a repository no rule matches is private to nobody
// (deny). A pattern is an exact name, "ns/*" for everything below ns, or
// "*" for every repository. Principals are user names, "group:<name>", or
// "*" for any authenticated user. A public rule grants pull to anonymous
// clients too; push always needs a listed principal. Delete needs push.
type Config struct {
	Htpasswd  string              `json:"htpasswd"`
	Realm     string              `json:"realm,omitempty"`   // token endpoint URL; default: this server's /token
	Service   string              `json:"service,omitempty"` // default "onggi-registry"
	TokenTTL  Duration            `json:"tokenTTL,omitempty"`
	Challenge string              `json:"challenge,omitempty"` // "bearer" (default) or "basic"
	KeyFile   string              `json:"keyFile,omitempty"`   // HMAC key shared by several servers; default random
	Groups    map[string][]string `json:"groups,omitempty"`
	Rules     []Rule              `json:"repositories"`
}

// Rule grants access to the repositories its Name pattern matches.
type Rule struct {
	Name   string   `json:"name"`
	Public bool     `json:"public,omitempty"`
	Pull   []string `json:"pull,omitempty"`
	Push   []string `json:"push,omitempty"`
}

// Duration is a time.Duration written as "5m" in JSON.
type Duration time.Duration

// UnmarshalJSON parses a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// LoadConfig reads a Config from a JSON file. Relative paths inside it are
// taken relative to the file's directory.
func LoadConfig(file string) (*Config, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading registry config: %w", err)
	}
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfigInvalid, file, err)
	}
	dir := path.Dir(file)
	for _, p := range []*string{&c.Htpasswd, &c.KeyFile} {
		if *p != "" && !strings.HasPrefix(*p, "/") && !isWindowsAbs(*p) {
			*p = dir + "/" + *p
		}
	}
	return &c, c.validate()
}

func isWindowsAbs(p string) bool { return len(p) > 2 && p[1] == ':' }

func (c *Config) validate() error {
	switch c.Challenge {
	case "", "bearer", "basic":
	default:
		return fmt.Errorf("%w: challenge %q (want bearer or basic)", ErrConfigInvalid, c.Challenge)
	}
	for _, r := range c.Rules {
		if r.Name == "" {
			return fmt.Errorf("%w: repository rule without a name", ErrConfigInvalid)
		}
	}
	return nil
}

// rule returns the first rule matching repo, or nil.
func (c *Config) rule(repo string) *Rule {
	for i := range c.Rules {
		if matchRepo(c.Rules[i].Name, repo) {
			return &c.Rules[i]
		}
	}
	return nil
}

func matchRepo(pattern, repo string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasSuffix(pattern, "/*"):
		return strings.HasPrefix(repo, strings.TrimSuffix(pattern, "*"))
	}
	return pattern == repo
}

// member reports whether user is one of principals.
func (c *Config) member(user string, principals []string) bool {
	if user == "" {
		return false
	}
	for _, p := range principals {
		if p == "*" || p == user {
			return true
		}
		if g, ok := strings.CutPrefix(p, "group:"); ok {
			for _, m := range c.Groups[g] {
				if m == user {
					return true
				}
			}
		}
	}
	return false
}

// Permits reports whether user ("" for anonymous) may perform action
// ("pull", "push", "delete") on repo, by the rules alone.
func (c *Config) Permits(user, repo, action string) bool {
	r := c.rule(repo)
	if r == nil {
		return false
	}
	switch action {
	case "pull":
		return r.Public || c.member(user, r.Pull) || c.member(user, r.Push)
	case "push", "delete":
		return c.member(user, r.Push)
	}
	return false
}
