package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/crypto/bcrypt"

	"github.com/onggi/onggi/registry/server/auth"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func authConfig(t *testing.T) *auth.Config {
	t.Helper()
	var lines []string
	for _, u := range []string{"alice", "bob"} {
		h, err := bcrypt.GenerateFromPassword([]byte(u+"-pw"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, u+":"+string(h))
	}
	file := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &auth.Config{
		Htpasswd: file,
		Groups:   map[string][]string{"devs": {"alice"}},
		Rules: []auth.Rule{
			{Name: "public/*", Public: true, Push: []string{"alice"}},
			{Name: "private/*", Pull: []string{"group:devs"}, Push: []string{"alice"}},
			{Name: "bob/*", Push: []string{"bob"}},
		},
	}
}

// token runs the token flow as a Docker client does.
func (tr *testRegistry) token(user string, scopes ...string) string {
	tr.t.Helper()
	q := url.Values{"service": {"onggi-registry"}, "scope": scopes}
	var opts []reqOpt
	if user != "" {
		opts = append(opts, withBasic(user, user+"-pw"))
	}
	resp, body := tr.do("GET", "/token?"+q.Encode(), nil, opts...)
	tr.expect(resp, body, http.StatusOK, "")
	var tok struct{ Token string }
	if err := json.Unmarshal(body, &tok); err != nil || tok.Token == "" {
		tr.t.Fatalf("token response %s", body)
	}
	return tok.Token
}

func TestAuthChallengeAndTokenFlow(t *testing.T) {
	tr := newTestRegistry(t, authConfig(t))
	resp, body := tr.do("GET", "/v2/", nil)
	tr.expect(resp, body, http.StatusUnauthorized, "UNAUTHORIZED")
	if ch := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, `Bearer realm="`+tr.url+`/token",service="onggi-registry"`) {
		t.Fatalf("challenge %q", ch)
	}
	resp, body = tr.do("GET", "/v2/private/app/tags/list", nil)
	if ch := resp.Header.Get("WWW-Authenticate"); !strings.Contains(ch, `scope="repository:private/app:pull"`) {
		t.Fatalf("challenge %q", ch)
	}
	tok := tr.token("alice", "repository:private/app:pull,push")
	img := randomImage(t, nil, "")
	tr.pushImage("private/app", "v1", img, withBearer(tok))
	resp, body = tr.do("GET", "/v2/private/app/manifests/v1", nil, withBasic("alice", "alice-pw"))
	tr.expect(resp, body, http.StatusOK, "")
	resp, body = tr.do("GET", "/v2/", nil, withBasic("alice", "wrong"))
	tr.expect(resp, body, http.StatusUnauthorized, "UNAUTHORIZED")
	resp, body = tr.do("GET", "/token?scope=repository:private/app:pull", nil, withBasic("alice", "wrong"))
	tr.expect(resp, body, http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestPublicRepository(t *testing.T) {
	tr := newTestRegistry(t, authConfig(t))
	img := randomImage(t, nil, "")
	tr.pushImage("public/web", "v1", img, withBasic("alice", "alice-pw"))
	anon := tr.token("", "repository:public/web:pull,push")
	resp, body := tr.do("GET", "/v2/public/web/manifests/v1", nil, withBearer(anon))
	tr.expect(resp, body, http.StatusOK, "")
	resp, body = tr.do("GET", "/v2/public/web/manifests/v1", nil) // no token at all
	tr.expect(resp, body, http.StatusOK, "")
	resp, body = tr.do("POST", "/v2/public/web/blobs/uploads/", nil, withBearer(anon))
	tr.expect(resp, body, http.StatusUnauthorized, "UNAUTHORIZED")
	resp, body = tr.do("POST", "/v2/public/web/blobs/uploads/", nil, withBasic("bob", "bob-pw"))
	tr.expect(resp, body, http.StatusForbidden, "DENIED")
	resp, body = tr.do("DELETE", "/v2/public/web/manifests/v1", nil)
	tr.expect(resp, body, http.StatusUnauthorized, "UNAUTHORIZED")
}

// TestPrivateRepositoryUnreadable tries every read path into a private
// repository as an anonymous client and as a user without rights.
func TestPrivateRepositoryUnreadable(t *testing.T) {
	tr := newTestRegistry(t, authConfig(t))
	alice := withBasic("alice", "alice-pw")
	base := randomImage(t, nil, "")
	tr.pushImage("private/app", "v1", base, alice)
	subj := &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: base.digest, Size: int64(len(base.manifest))}
	tr.pushImage("private/app", "sig", randomImage(t, subj, "application/vnd.example.sig"), alice)
	tr.pushImage("public/web", "v1", randomImage(t, nil, ""), alice)
	layer := digest.FromBytes(base.layer)

	bobToken := tr.token("bob", "repository:private/app:pull", "repository:bob/x:pull,push")
	anonToken := tr.token("", "repository:private/app:pull")
	callers := map[string][]reqOpt{
		"anonymous":    nil,
		"anon-token":   {withBearer(anonToken)},
		"bob-basic":    {withBasic("bob", "bob-pw")},
		"bob-token":    {withBearer(bobToken)},
		"bob-wrong-pw": {withBasic("bob", "alice-pw")},
	}
	paths := []string{
		"/v2/private/app/manifests/v1",
		"/v2/private/app/manifests/" + base.digest.String(),
		"/v2/private/app/blobs/" + layer.String(),
		"/v2/private/app/tags/list",
		"/v2/private/app/referrers/" + base.digest.String(),
		"/v2/private/nonexistent/tags/list",
	}
	for who, opts := range callers {
		for _, p := range paths {
			for _, m := range []string{"GET", "HEAD"} {
				resp, body := tr.do(m, p, nil, opts...)
				if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
					t.Fatalf("%s %s %s: status %d: %s", who, m, p, resp.StatusCode, body)
				}
				if strings.Contains(string(body), base.digest.Encoded()) || strings.Contains(string(body), "v1") {
					t.Fatalf("%s %s %s leaks content: %s", who, m, p, body)
				}
			}
		}
		resp, body := tr.do("GET", "/v2/_catalog", nil, opts...)
		if strings.Contains(string(body), "private/") {
			t.Fatalf("%s: catalog shows private repositories: %s", who, body)
		}
		if resp.StatusCode == http.StatusOK && !strings.Contains(string(body), "public/web") {
			t.Fatalf("%s: catalog misses the public repository: %s", who, body)
		}
	}
	// Mounting a private blob into a repository bob may push to starts an
	// upload instead, and the blob stays out of bob's repository.
	for _, opts := range [][]reqOpt{{withBasic("bob", "bob-pw")}, {withBearer(bobToken)}} {
		for _, q := range []string{"?mount=" + layer.String() + "&from=private/app", "?mount=" + layer.String()} {
			resp, body := tr.do("POST", "/v2/bob/x/blobs/uploads/"+q, nil, opts...)
			tr.expect(resp, body, http.StatusAccepted, "")
			resp, _ = tr.do("HEAD", "/v2/bob/x/blobs/"+layer.String(), nil, opts...)
			if resp.StatusCode == http.StatusOK {
				t.Fatal("bob mounted a private blob")
			}
		}
	}
	// Alice, in the devs group, sees it all.
	resp, body := tr.do("GET", "/v2/_catalog", nil, alice)
	if !strings.Contains(string(body), "private/app") {
		t.Fatalf("alice's catalog: %d %s", resp.StatusCode, body)
	}
	resp, body = tr.do("GET", "/v2/private/app/referrers/"+base.digest.String(), nil, alice)
	tr.expect(resp, body, http.StatusOK, "")
}

func TestExpiredAndTamperedTokens(t *testing.T) {
	cfg := authConfig(t)
	tr := newTestRegistry(t, cfg, auth.WithKey(testKey))
	img := randomImage(t, nil, "")
	tr.pushImage("private/app", "v1", img, withBasic("alice", "alice-pw"))
	path := "/v2/private/app/manifests/v1"
	scope := "repository:private/app:pull"

	good := tr.token("alice", scope)
	resp, body := tr.do("GET", path, nil, withBearer(good))
	tr.expect(resp, body, http.StatusOK, "")

	// A token issued an hour ago (TTL 5 minutes) by the same key.
	past, err := auth.New(cfg, auth.WithKey(testKey), auth.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/token?scope="+url.QueryEscape(scope), nil)
	req.SetBasicAuth("alice", "alice-pw")
	past.ServeToken(rec, req)
	var old struct{ Token string }
	_ = json.Unmarshal(rec.Body.Bytes(), &old)
	resp, body = tr.do("GET", path, nil, withBearer(old.Token))
	tr.expect(resp, body, http.StatusUnauthorized, "UNAUTHORIZED")

	// Bob's token with its claims rewritten to alice's, signature kept.
	bob := tr.token("bob", scope)
	parts := strings.Split(bob, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(claims), `"sub":"bob"`, `"sub":"alice"`, 1)
	forged = strings.Replace(forged, `"actions":[]`, `"actions":["pull"]`, 1)
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(forged))
	resp, body = tr.do("GET", path, nil, withBearer(strings.Join(parts, ".")))
	tr.expect(resp, body, http.StatusUnauthorized, "UNAUTHORIZED")

	// alg "none" with no signature.
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."
	resp, body = tr.do("GET", path, nil, withBearer(none))
	tr.expect(resp, body, http.StatusUnauthorized, "UNAUTHORIZED")

	// A token signed with another key.
	other := newTestRegistry(t, cfg)
	resp, body = tr.do("GET", path, nil, withBearer(other.token("alice", scope)))
	tr.expect(resp, body, http.StatusUnauthorized, "UNAUTHORIZED")
}

// TestMountAsksForSourceScope: a token for the target alone gets a
// challenge naming the source too; with that scope the mount succeeds.
func TestMountAsksForSourceScope(t *testing.T) {
	tr := newTestRegistry(t, authConfig(t))
	img := randomImage(t, nil, "")
	tr.pushImage("private/app", "v1", img, withBasic("alice", "alice-pw"))
	layer := digest.FromBytes(img.layer)
	path := "/v2/public/web/blobs/uploads/?mount=" + layer.String() + "&from=private/app"

	narrow := tr.token("alice", "repository:public/web:pull,push")
	resp, body := tr.do("POST", path, nil, withBearer(narrow))
	tr.expect(resp, body, http.StatusUnauthorized, "UNAUTHORIZED")
	ch := resp.Header.Get("WWW-Authenticate")
	if !strings.Contains(ch, `scope="repository:public/web:pull,push repository:private/app:pull"`) {
		t.Fatalf("challenge %q", ch)
	}
	wide := tr.token("alice", "repository:public/web:pull,push", "repository:private/app:pull")
	resp, body = tr.do("POST", path, nil, withBearer(wide))
	tr.expect(resp, body, http.StatusCreated, "")
}
