package container

import (
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"strings"

	"github.com/onggi/onggi/errdefs"
)

// validName reports whether name matches docker's container name rule
// ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$ . Hand-written rather than a regexp: the
// start path compiles nothing it does not need (DESIGN.md, hot path).
func validName(name string) bool {
	if len(name) < 2 || !isAlnum(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// NormalizeName strips docker's one leading "/" and validates the rest
// (errdefs.ErrInvalid with docker's message).
func NormalizeName(name string) (string, error) {
	n := strings.TrimPrefix(name, "/")
	if !validName(n) {
		return "", classed(errdefs.ErrInvalid,
			"Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	return n, nil
}

// Our own word lists for docker-style "adjective_surname" names.
var (
	nameLeft = [...]string{
		"admiring", "agitated", "amazing", "angry", "awesome", "blissful", "bold", "brave",
		"busy", "charming", "clever", "cool", "compassionate", "cranky", "dazzling", "determined",
		"eager", "ecstatic", "elastic", "elegant", "epic", "fervent", "festive", "focused",
		"friendly", "gallant", "gifted", "gracious", "happy", "hopeful", "infallible", "inspiring",
		"jolly", "keen", "kind", "laughing", "loving", "lucid", "magical", "modest",
		"nifty", "nostalgic", "optimistic", "peaceful", "quirky", "relaxed", "serene", "sharp",
		"stoic", "tender", "vibrant", "wizardly", "youthful", "zealous",
	}
	nameRight = [...]string{
		"agnesi", "babbage", "bardeen", "bell", "bohr", "boole", "cartwright", "cerf",
		"curie", "darwin", "dijkstra", "einstein", "euclid", "euler", "faraday", "fermat",
		"fermi", "feynman", "franklin", "galileo", "gauss", "goldberg", "hamilton", "hawking",
		"hodgkin", "hopper", "hypatia", "jackson", "johnson", "kepler", "knuth", "lamarr",
		"leakey", "lovelace", "mayer", "mccarthy", "meitner", "mendel", "newton", "noether",
		"pasteur", "perlman", "ritchie", "shannon", "thompson", "torvalds", "turing", "wilson",
		"wing", "wright", "yalow", "zhukovsky",
	}
)

// randomName returns "adjective_surname"; after a few collisions docker
// appends a digit, and so do we, to widen the space.
func randomName(retry int) string {
	name := nameLeft[randInt(len(nameLeft))] + "_" + nameRight[randInt(len(nameRight))]
	if retry > 0 {
		name += string(rune('0' + randInt(10)))
	}
	return name
}

// randInt need not be unpredictable: names only have to differ.
func randInt(n int) int { return mrand.IntN(n) }

// generateID is docker's stringid.GenerateRandomID: 32 random bytes in
// hex, drawn again when the 12-char short form is all digits, because
// the CLI would read such a short id as a number.
func generateID() string {
	b := make([]byte, 32)
	for {
		rand.Read(b)
		id := hex.EncodeToString(b)
		if strings.Trim(id[:12], "0123456789") != "" {
			return id
		}
	}
}

// isFullID reports whether s is 64 lowercase hex digits (a record dir).
func isFullID(s string) bool { return len(s) == 64 && isHex(s) }

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
