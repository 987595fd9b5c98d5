package reference

import (
	"errors"
	"strings"
	"testing"

	"github.com/onggi/onggi/image/errdefs"
)

const hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParse(t *testing.T) {
	cases := []struct {
		in, full, familiar, name, domain, path, tag string
		digest                                      string
	}{
		{"busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io/library/busybox", "docker.io", "library/busybox", "latest", ""},
		{"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", "docker.io/library/busybox", "docker.io", "library/busybox", "1.36", ""},
		{"library/busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io/library/busybox", "docker.io", "library/busybox", "latest", ""},
		{"docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "busybox:latest", "docker.io/library/busybox", "docker.io", "library/busybox", "latest", ""},
		{"index.docker.io/foo/bar", "docker.io/foo/bar:latest", "foo/bar:latest", "docker.io/foo/bar", "docker.io", "foo/bar", "latest", ""},
		{"foo/bar", "docker.io/foo/bar:latest", "foo/bar:latest", "docker.io/foo/bar", "docker.io", "foo/bar", "latest", ""},
		{"localhost:5000/a/b", "localhost:5000/a/b:latest", "localhost:5000/a/b:latest", "localhost:5000/a/b", "localhost:5000", "a/b", "latest", ""},
		{"localhost/a", "localhost/a:latest", "localhost/a:latest", "localhost/a", "localhost", "a", "latest", ""},
		{"localhost:5000/a/b@sha256:" + hex, "localhost:5000/a/b@sha256:" + hex, "localhost:5000/a/b@sha256:" + hex, "localhost:5000/a/b", "localhost:5000", "a/b", "", "sha256:" + hex},
		{"busybox:1@sha256:" + hex, "docker.io/library/busybox:1@sha256:" + hex, "busybox:1@sha256:" + hex, "docker.io/library/busybox", "docker.io", "library/busybox", "1", "sha256:" + hex},
		{"quay.io/coreos/etcd:v3", "quay.io/coreos/etcd:v3", "quay.io/coreos/etcd:v3", "quay.io/coreos/etcd", "quay.io", "coreos/etcd", "v3", ""},
		{"[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000/x:latest", "[::1]:5000/x", "[::1]:5000", "x", "latest", ""},
	}
	for _, c := range cases {
		r, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		got := []string{r.String(), r.Familiar(), r.Name(), r.Domain(), r.Path(), r.Tag(), r.Digest().String()}
		want := []string{c.full, c.familiar, c.name, c.domain, c.path, c.tag, c.digest}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s:\n got %q\nwant %q", c.in, got, want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	cases := map[string]string{
		"":                                    "empty",
		"Busybox":                             "lowercase",
		"busybox:":                            "invalid reference format",
		"busybox@sha256:abc":                  "invalid",
		"a//b":                                "invalid reference format",
		"-a":                                  "invalid reference format",
		"busybox:" + strings.Repeat("t", 129): "invalid",
		hex:                                   "image ID",
		"sha256:" + hex:                       "image ID",
		strings.Repeat("a/", 130) + "b":       "more than",
	}
	for in, want := range cases {
		_, err := Parse(in)
		if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid mentioning %q", in, err, want)
		}
	}
}

func TestParseNameKeepsNoTag(t *testing.T) {
	r, err := ParseName("busybox")
	if err != nil || r.String() != "docker.io/library/busybox" || r.Tag() != "" {
		t.Fatalf("%v %v", r, err)
	}
	tagged, err := r.WithTag("v1")
	if err != nil || tagged.Familiar() != "busybox:v1" {
		t.Fatalf("%v %v", tagged, err)
	}
	if _, err := r.WithTag("bad tag"); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad tag: %v", err)
	}
	if n := tagged.NameOnly(); n.String() != "docker.io/library/busybox" {
		t.Fatalf("NameOnly %v", n)
	}
}

func TestFamiliarAndMatch(t *testing.T) {
	if got := Familiar("docker.io/library/busybox:latest"); got != "busybox:latest" {
		t.Errorf("Familiar = %q", got)
	}
	if got := Familiar("<none>"); got != "<none>" {
		t.Errorf("Familiar(<none>) = %q", got)
	}
	r, _ := Parse("docker.io/library/busybox:1.36")
	for pattern, want := range map[string]bool{"busybox": true, "busybox:1.*": true, "busy*": true, "alpine": false, "busybox:2": false} {
		if got := Match(pattern, r); got != want {
			t.Errorf("Match(%q) = %v, want %v", pattern, got, want)
		}
	}
	if !IsID(hex) || !IsID("sha256:"+hex) || IsID("busybox") || IsID(hex[:12]) {
		t.Error("IsID")
	}
}
