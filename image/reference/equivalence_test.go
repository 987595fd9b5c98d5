package reference

// Holds the hand-written grammar to github.com/distribution/reference
// (test-only import: it must not reach the binary, see grammar.go): a table
// of edge cases and a fuzzer, each compared on success, every accessor and
// the exact error text the library-backed version produced.

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"

	dref "github.com/distribution/reference"
	"github.com/onggi/onggi/image/errdefs"
	digest "github.com/opencontainers/go-digest"
)

var (
	h64  = strings.Repeat("ab", 32)
	h128 = strings.Repeat("0f", 64)
)

// equivalenceInputs: valid and invalid references; each is also a fuzz seed.
func equivalenceInputs() []string {
	in := []string{
		"", " ", "/", ":", "@", "a", "A", "0", "_", "-", ".", "a:", "a@", "a:@", "a/", "/a", "a//b", "a/b/",
		"busybox", "busybox:latest", "busybox:1.36", "busybox:1.36.1-glibc", "busybox:_x", "busybox:.x", "busybox:-x",
		"busybox:", "busybox::1", "busybox:a:b", "busybox:a/b", "busybox:tag@", "busybox@", "busybox@sha256",
		"busybox@sha256:", "busybox@sha256:" + h64, "busybox:1@sha256:" + h64, "busybox@sha256:" + h64[:63],
		"busybox@sha256:" + h64 + "0", "busybox@sha256:" + strings.ToUpper(h64), "busybox@sha512:" + h128,
		"busybox@sha512:" + h64, "busybox@sha384:" + h128[:96], "busybox@md5:" + h64, "busybox@foo+bar:" + h64,
		"busybox@Sha256:" + h64, "busybox@sha256:" + h64 + "@sha256:" + h64, "busybox@@sha256:" + h64,
		"busybox@sha256:" + h64[:32], "busybox@a.b-c_d+e:" + h64, "busybox@a..b:" + h64, "busybox@1a:" + h64,
		"busybox@sha256:" + h64 + ":x", "busybox:latest@sha256:" + h64, "busybox:" + strings.Repeat("t", 128),
		"busybox:" + strings.Repeat("t", 129), "busybox:" + strings.Repeat("t", 127) + ".", "Busybox", "busyBox",
		"BUSYBOX", "busybox:LATEST", "busybox:Tag", "library/busybox", "library/Busybox", "Library/busybox",
		"docker.io/busybox", "docker.io/library/busybox", "docker.io/library/busybox:latest", "docker.io/library/a/b",
		"docker.io/library/library/x", "docker.io/foo/bar", "index.docker.io/busybox", "index.docker.io/foo/bar",
		"index.docker.io/library/busybox:1", "registry-1.docker.io/library/busybox", "Docker.io/busybox",
		"DOCKER.IO/library/x", "docker.io", "docker.io/", "index.docker.io", "localhost", "localhost/x",
		"localhost:5000/x", "localhost:5000/a/b:tag", "localhost:5000", "localhost:/x", "localhost:50a0/x",
		"localhost:5000:6000/x", "localhost/", "Localhost/x", "LOCALHOST:5000/x", "localhost/library/x",
		"127.0.0.1/x", "127.0.0.1:5000/x", "10.0.0.1:80/a/b/c:v1", "[::1]/x", "[::1]:5000/x", "[::1]:5000/x:y",
		"[::]:5000/x", "[fe80::1%eth0]:5000/x", "[2001:db8::1]/a/b", "[2001:DB8::1]:443/x", "[]/x", "[::1/x",
		"::1/x", "[::1]:/x", "[::1]x/x", "[g::1]/x", "[::ffff:1.2.3.4]/x", "[::1]:5000", "[::1]",
		"example.com/x", "example.com:443/x", "EXAMPLE.com/x", "ex-ample.com/x", "-example.com/x", "example-.com/x",
		"ex--ample.com/x", "example..com/x", ".example.com/x", "example.com./x", "example.com/X", "example.com/x/Y",
		"ex_ample.com/x", "foo_bar.com/x", "foo__bar.com/x", "foo-bar/x", "foo:bar/x", "a.b.c.d.e/f",
		"quay.io/coreos/etcd:v3", "gcr.io/a/b/c/d/e:1", "ghcr.io/o/r@sha256:" + h64, "my.registry:5000/a_b/c__d/e-f",
		"a_b", "a__b", "a___b", "a-b", "a--b", "a---b", "a.b", "a..b", "a._b", "a_.b", "a-_b", "_a", "a_", "a-",
		"-a", ".a", "a.", "a/_b", "a/b_", "a/.b", "a/b.", "a/-b", "a/b-", "a.b.c", "a-b.c_d__e---f", "a/b/c/d",
		"0/1/2", "0.1", "00", "user/x", "user/x:y", "user/x/y:z", "user/X", "USER/x", "uSer/x:t", "user/x:T",
		"user:tag/x", "user/x@sha256:" + h64, "user/x:t@sha256:" + h64, "ubuntu:22.04", "ubuntu:22.04@",
		"ubuntu@22.04", "ubuntu:22.04:", "ubuntu :22.04", "ubu ntu", "ubuntu\n", "\tubuntu", "ubuntu/",
		"ubuntu:tag/x", "naïve", "ÜBUNTU", "\xff", "a\x00b", "İ", "ubuntu:é", h64, "sha256:" + h64,
		strings.ToUpper(h64), h64[:63], h64 + "a", "sha256:" + h64[:63], "sha512:" + h128, h64 + ":tag",
		"library/" + h64, "docker.io/" + h64, h64 + "/x", "x/" + h64,
	}
	for _, n := range []int{253, 254, 255, 256, 300} {
		in = append(in, strings.Repeat("a", n), "docker.io/"+strings.Repeat("b", n), "localhost:5000/"+strings.Repeat("c", n),
			strings.Repeat("a/", n/2)+"z", strings.Repeat("d", n)+":t", strings.Repeat("e", 200)+".com/"+strings.Repeat("f", n-200))
	}
	in = append(in, strings.Repeat("A", 256), strings.Repeat("x", 256)+"@sha256:"+h64, strings.Repeat("a/", 130)+"b")
	return in
}

func TestEquivalenceTable(t *testing.T) {
	inputs := equivalenceInputs()
	valid := 0
	for _, s := range inputs {
		if checkEquivalent(t, s, "v1.2_x", "busy*") {
			valid++
		}
	}
	if len(inputs) < 150 {
		t.Fatalf("only %d inputs", len(inputs))
	}
	t.Logf("%d inputs agree (%d valid, %d invalid)", len(inputs), valid, len(inputs)-valid)
}

func FuzzParse(f *testing.F) {
	for _, s := range equivalenceInputs() {
		f.Add(s, "latest")
	}
	f.Add("busybox:1", "busybox:*")
	f.Add("busybox", "sha256:"+h64)
	f.Fuzz(func(t *testing.T, s, extra string) { checkEquivalent(t, s, extra, extra) })
}

// FuzzParseParts assembles references from grammar-shaped pieces, which
// reach deep valid/invalid boundaries sooner than byte mutation of FuzzParse.
func FuzzParseParts(f *testing.F) {
	f.Add("localhost:5000", "a/b", "v1", "sha256:"+h64, uint8(0xf))
	f.Add("[::1]", "a__b/c-d", "1.0", "sha512:"+h128, uint8(0xd))
	f.Add("foo_bar.com", "x", "_", "sha256:"+h64[:32], uint8(0x7))
	f.Fuzz(func(t *testing.T, domain, repo, tag, dgst string, which uint8) {
		s := repo
		if which&1 != 0 {
			s = domain + "/" + s
		}
		if which&2 != 0 {
			s += ":" + tag
		}
		if which&4 != 0 {
			s += "@" + dgst
		}
		if which&8 != 0 {
			s = strings.ToUpper(s[:len(s)/2]) + s[len(s)/2:]
		}
		checkEquivalent(t, s, tag, repo)
	})
}

// checkEquivalent compares everything for s, then WithTag/WithDigest/Match
// with extra; it reports whether s parsed.
func checkEquivalent(t *testing.T, s, extra, pattern string) bool {
	t.Helper()
	r, err := ParseName(s)
	n, derr := dref.ParseNormalizedNamed(s)
	if lerr := legacyParseName(s); fmt.Sprint(err) != fmt.Sprint(lerr) {
		t.Fatalf("ParseName(%q) error %v, library-backed version gave %v", s, err, lerr)
	}
	if Familiar(s) != legacyFamiliar(s) {
		t.Fatalf("Familiar(%q) = %q, want %q", s, Familiar(s), legacyFamiliar(s))
	}
	if IsID(s) { // ours refuses image IDs ("sha256:<hex>" the library reads as a tag)
		if err == nil {
			t.Fatalf("ParseName(%q) accepted an image ID", s)
		}
		return false
	}
	if (err == nil) != (derr == nil) {
		t.Fatalf("ParseName(%q): ours %v, library %v", s, err, derr)
	}
	if err != nil {
		return false
	}
	same(t, s, r, n)
	p, _ := Parse(s)
	same(t, s+" (Parse)", p, dref.TagNameOnly(n))
	same(t, s+" (NameOnly)", r.NameOnly(), dref.TrimNamed(n))

	wt, err := r.WithTag(extra)
	dt, derr := dref.WithTag(dref.TrimNamed(n), extra)
	if (err == nil) != (derr == nil) {
		t.Fatalf("WithTag(%q, %q): ours %v, library %v", s, extra, err, derr)
	} else if err == nil {
		same(t, s+" WithTag "+extra, wt, dt)
	}
	wd, err := r.WithDigest(digest.Digest(extra))
	dd, derr := dref.WithDigest(dref.TrimNamed(n), digest.Digest(extra))
	if (err == nil) != (derr == nil) {
		t.Fatalf("WithDigest(%q, %q): ours %v, library %v", s, extra, err, derr)
	} else if err == nil {
		same(t, s+" WithDigest "+extra, wd, dd)
	}
	for _, pat := range []string{pattern, r.FamiliarName(), path.Base(r.Name()) + "*", "*/*"} {
		if got, want := Match(pat, r), legacyMatch(pat, n); got != want {
			t.Fatalf("Match(%q, %q) = %v, want %v", pat, s, got, want)
		}
	}
	return true
}

func same(t *testing.T, what string, r Reference, n dref.Named) {
	t.Helper()
	var tag, dgst string
	if tg, ok := n.(dref.Tagged); ok {
		tag = tg.Tag()
	}
	if d, ok := n.(dref.Digested); ok {
		dgst = d.Digest().String()
	}
	got := []string{r.String(), r.Familiar(), r.Name(), r.FamiliarName(), r.Domain(), r.Path(), r.Tag(), r.Digest().String()}
	want := []string{n.String(), dref.FamiliarString(n), n.Name(), dref.FamiliarName(n), dref.Domain(n), dref.Path(n), tag, dgst}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%q:\n got %q\nwant %q", what, got, want)
	}
}

// The library-backed implementation this package replaced, verbatim in
// behaviour: the oracle for error texts, Familiar and Match.

func legacyParseName(s string) error {
	if s == "" || IsID(s) {
		_, err := ParseName(s) // these never reached the library
		return err
	}
	if _, err := dref.ParseNormalizedNamed(s); err != nil {
		msg := legacyExplain(err)
		if _, lerr := dref.ParseNormalizedNamed(strings.ToLower(s)); lerr == nil {
			msg = "repository name must be lowercase"
		}
		return fmt.Errorf("reference %q: %w: %s", s, errdefs.ErrInvalid, msg)
	}
	return nil
}

func legacyExplain(err error) string {
	switch {
	case errors.Is(err, dref.ErrNameContainsUppercase):
		return "repository name must be lowercase"
	case errors.Is(err, dref.ErrNameTooLong):
		return fmt.Sprintf("repository name must not be more than %d characters", dref.NameTotalLengthMax)
	case errors.Is(err, dref.ErrDigestInvalidFormat):
		return "invalid digest format"
	case errors.Is(err, dref.ErrTagInvalidFormat):
		return "invalid tag format"
	default:
		return "invalid reference format"
	}
}

func legacyFamiliar(s string) string {
	n, err := dref.ParseNormalizedNamed(s)
	if err != nil {
		return s
	}
	return dref.FamiliarString(n)
}

func legacyMatch(pattern string, n dref.Named) bool {
	ok, err := dref.FamiliarMatch(pattern, n)
	if err == nil && ok {
		return true
	}
	ok, _ = dref.FamiliarMatch(pattern, dref.TrimNamed(n))
	return ok
}
