package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPermits(t *testing.T) {
	c := &Config{
		Groups: map[string][]string{"ops": {"carol"}},
		Rules: []Rule{
			{Name: "library/*", Public: true, Push: []string{"group:ops"}},
			{Name: "team/app", Pull: []string{"dave"}},
			{Name: "*", Pull: []string{"*"}},
		},
	}
	cases := []struct {
		user, repo, action string
		want               bool
	}{
		{"", "library/debian", "pull", true},
		{"", "library/debian", "push", false},
		{"carol", "library/debian", "push", true},
		{"carol", "library/debian", "delete", true},
		{"dave", "library/debian", "push", false},
		{"", "team/app", "pull", false},
		{"carol", "team/app", "pull", false}, // first match wins, no fallthrough
		{"dave", "team/app", "pull", true},
		{"dave", "team/app", "push", false},
		{"", "other", "pull", false},
		{"erin", "other", "pull", true},
		{"erin", "other", "push", false},
		{"", "libraryx/y", "pull", false},
	}
	for _, c2 := range cases {
		if got := c.Permits(c2.user, c2.repo, c2.action); got != c2.want {
			t.Errorf("Permits(%q, %q, %q) = %v", c2.user, c2.repo, c2.action, got)
		}
	}
}

func TestTokenVerify(t *testing.T) {
	s := &signer{key: []byte(strings.Repeat("k", 32)), issuer: "svc", audience: "svc"}
	now := time.Now()
	tok, err := s.sign(claims{Issuer: "svc", Audience: "svc", Subject: "u", Expiry: now.Add(time.Minute).Unix(), NotBefore: now.Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.verify(tok, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.verify(tok, now.Add(2*time.Minute)); err == nil {
		t.Fatal("expired token accepted")
	}
	if _, err := s.verify(tok+"x", now); err == nil {
		t.Fatal("tampered signature accepted")
	}
	other := &signer{key: s.key, issuer: "svc", audience: "elsewhere"}
	if _, err := other.verify(tok, now); err == nil {
		t.Fatal("token for another audience accepted")
	}
}

func TestParseScope(t *testing.T) {
	a, ok := parseScope("repository:library/debian:pull,push")
	if !ok || a.Type != "repository" || a.Name != "library/debian" || strings.Join(a.Actions, ",") != "pull,push" {
		t.Fatalf("%+v", a)
	}
	if _, ok := parseScope("repository:pull"); ok {
		t.Fatal("scope without a name accepted")
	}
}
