package builder

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/onggi/onggi/builder/fscopy"
	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/bootstrap"
)

// testBuilder is a builder over a fresh store in a temp dir; withBusybox
// bootstraps busybox:latest into it (from Debian's busybox-static).
func testBuilder(t *testing.T, withBusybox bool) *Builder {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	store, err := image.Open(filepath.Join(dir, "root", "image"))
	if err != nil {
		t.Fatal(err)
	}
	if withBusybox {
		if _, err := os.Stat(bootstrap.BusyboxBinary); err != nil {
			t.Skipf("needs %s (apt-get install busybox-static)", bootstrap.BusyboxBinary)
		}
		ctx := context.Background()
		imp, err := bootstrap.Busybox(ctx, store.Content(), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Put(ctx, imp.Manifest, "busybox"); err != nil {
			t.Fatal(err)
		}
	}
	b, err := New(store, filepath.Join(dir, "root", "builder"), filepath.Join(dir, "run", "builder"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// events records a build's progress.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) add(ev Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
}

// count is the number of events of kind whose step name contains sub.
func (e *events) count(kind EventKind) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.all {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

// ctxDir writes files (name → content) into a new context directory.
func ctxDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tryBuild runs a build of dockerfile with context dir (may be "") and
// returns the image and the events.
func tryBuild(t *testing.T, b *Builder, dockerfile, dir string, mod func(*BuildOptions)) (*image.Image, *events, error) {
	t.Helper()
	ev := &events{}
	o := BuildOptions{Dockerfile: []byte(dockerfile), Progress: ev.add}
	if dir != "" {
		o.Context = fscopy.Source{Root: dir, Context: true}
	}
	if mod != nil {
		mod(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := b.Build(ctx, o)
	if err != nil {
		return nil, ev, err
	}
	return res.Image, ev, nil
}

func mustBuild(t *testing.T, b *Builder, dockerfile, dir string, mod func(*BuildOptions)) (*image.Image, *events) {
	t.Helper()
	img, ev, err := tryBuild(t, b, dockerfile, dir, mod)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return img, ev
}
