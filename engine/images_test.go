package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onggi/onggi/image"
	digest "github.com/opencontainers/go-digest"
)

func testImage(tags []string, labels map[string]string, created time.Time) *image.Image {
	img := &image.Image{RepoTags: tags, Created: created}
	img.Config.Config.Labels = labels
	return img
}

func TestImageFilter(t *testing.T) {
	img := testImage([]string{"docker.io/library/busybox:latest", "example.com/a/b:1"}, map[string]string{"team": "x"}, time.Now())
	dangling := testImage(nil, nil, time.Now())
	tests := []struct {
		filters  map[string][]string
		img      *image.Image
		wantTags int
		want     bool
	}{
		{nil, img, 2, true},
		{map[string][]string{"dangling": {"true"}}, img, 0, false},
		{map[string][]string{"dangling": {"true"}}, dangling, 0, true},
		{map[string][]string{"dangling": {"false"}}, img, 2, true},
		{map[string][]string{"reference": {"busybox"}}, img, 1, true},
		{map[string][]string{"reference": {"example.com/*/*"}}, img, 1, true},
		{map[string][]string{"reference": {"nomatch*"}}, img, 0, false},
		{map[string][]string{"label": {"team"}}, img, 2, true},
		{map[string][]string{"label": {"team=x"}}, img, 2, true},
		{map[string][]string{"label": {"team=y"}}, img, 0, false},
	}
	for i, tt := range tests {
		match, err := imageFilter(tt.filters)
		if err != nil {
			t.Fatal(err)
		}
		tags, ok := match(tt.img)
		if ok != tt.want || (ok && len(tags) != tt.wantTags) {
			t.Errorf("%d %v: got %v %v", i, tt.filters, tags, ok)
		}
	}
	for _, bad := range []map[string][]string{{"bogus": {"1"}}, {"dangling": {"maybe"}}} {
		if _, err := imageFilter(bad); !errors.Is(err, image.ErrInvalid) {
			t.Errorf("%v: err %v", bad, err)
		}
	}
}

func TestPruneFilter(t *testing.T) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	old := testImage(nil, map[string]string{"keep": "no"}, now.Add(-48*time.Hour))
	young := testImage(nil, nil, now.Add(-time.Hour))
	f, err := pruneFilter(map[string][]string{"until": {"24h"}}, now)
	if err != nil || !f(old) || f(young) {
		t.Fatalf("until=24h: %v", err)
	}
	f, _ = pruneFilter(map[string][]string{"until": {"2026-01-01"}}, now)
	if !f(old) || f(young) {
		t.Error("until=date")
	}
	f, _ = pruneFilter(map[string][]string{"label!": {"keep"}}, now)
	if f(old) || !f(young) {
		t.Error("label!=keep")
	}
	if _, err := pruneFilter(map[string][]string{"until": {"someday"}}, now); !errors.Is(err, image.ErrInvalid) {
		t.Errorf("bad until: %v", err)
	}
}

func TestSavedNames(t *testing.T) {
	img := &image.Image{RepoTags: []string{"docker.io/library/busybox:1", "docker.io/library/busybox:latest", "docker.io/library/other:x"}}
	img.ID = "sha256:0123456789012345678901234567890123456789012345678901234567890123"
	tests := map[string]int{"busybox": 2, "busybox:1": 1, "other:x": 1, "busybox:nope": 0, img.ID.String(): 0, "012345": 0}
	for ref, want := range tests {
		if got := savedNames(img, ref); len(got) != want {
			t.Errorf("%s: %v", ref, got)
		}
	}
}

func TestEngineImagesEndToEnd(t *testing.T) {
	e, err := New(t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if _, err := e.Bootstrap(ctx, "busybox", BootstrapOptions{}); err != nil {
		t.Fatalf("bootstrap busybox (needs busybox-static): %v", err)
	}
	e.imageUsers = func(digest.Digest) []string { return []string{"c1"} }
	if _, err := e.RemoveImage(ctx, "busybox", false, false); !errors.Is(err, image.ErrInUse) {
		t.Fatalf("rmi of an image a container uses: %v", err)
	}
	imgs, err := e.ListImages(ctx, ImageListOptions{})
	if err != nil || len(imgs) != 1 || imgs[0].Containers != 1 {
		t.Fatalf("list: %+v %v", imgs, err)
	}
	if _, err := e.Bootstrap(ctx, "alpine", BootstrapOptions{}); !errors.Is(err, image.ErrInvalid) {
		t.Errorf("bootstrap alpine: %v", err)
	}
}
