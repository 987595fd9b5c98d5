package auth

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// htpasswd holds bcrypt password hashes by user. Only bcrypt ("$2y$",
// "$2a$", "$2b$") is accepted: htpasswd's MD5 and SHA1 schemes are too weak
// to protect a registry (distribution refuses them as well).
type htpasswd struct {
	users map[string][]byte

	mu    sync.Mutex
	cache map[[32]byte]time.Time // sha256(user, password) -> verified until
}

func loadHtpasswd(file string) (*htpasswd, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("reading htpasswd: %w", err)
	}
	defer f.Close()
	return parseHtpasswd(f)
}

func parseHtpasswd(r io.Reader) (*htpasswd, error) {
	h := &htpasswd{users: map[string][]byte{}, cache: map[[32]byte]time.Time{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok || user == "" || !strings.HasPrefix(hash, "$2") {
			return nil, fmt.Errorf("%w: htpasswd line %d: want user:bcrypt-hash", ErrConfigInvalid, n)
		}
		h.users[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading htpasswd: %w", err)
	}
	return h, nil
}

// verify checks a password. bcrypt costs tens of milliseconds by design,
// and Basic-auth clients send the password on every request, so a success
// is remembered (as a hash, never the password) for a minute.
func (h *htpasswd) verify(user, password string) bool {
	key := sha256.Sum256([]byte(user + "\x00" + password))
	h.mu.Lock()
	until, ok := h.cache[key]
	h.mu.Unlock()
	if ok && time.Now().Before(until) {
		return true
	}
	hash, ok := h.users[user]
	if !ok {
		// Spend the same time as a real check so that timing does not tell
		// which user names exist.
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil {
		return false
	}
	h.mu.Lock()
	if len(h.cache) > 10000 {
		clear(h.cache)
	}
	h.cache[key] = time.Now().Add(time.Minute)
	h.mu.Unlock()
	return true
}

var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("onggi"), bcrypt.DefaultCost)
	return h
})
