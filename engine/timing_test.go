package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/onggi/onggi/runtime/driver"
)

func TestSpans(t *testing.T) {
	var b bytes.Buffer
	timing.mu.Lock()
	on, w := timing.on, timing.w
	timing.on, timing.w = false, &b
	timing.mu.Unlock()
	t.Cleanup(func() {
		timing.mu.Lock()
		timing.on, timing.w = on, w
		timing.mu.Unlock()
	})
	Span("off")()
	if b.Len() != 0 {
		t.Fatalf("span printed while off: %q", b.String())
	}
	timing.mu.Lock()
	timing.on = true
	timing.mu.Unlock()
	Span("create.record")()
	Mark("cli.done")
	if out := b.String(); !strings.Contains(out, "create.record") || !strings.Contains(out, "cli.done") || !strings.Contains(out, "took=") {
		t.Fatalf("spans: %q", out)
	}
}

func TestVolatileOverlay(t *testing.T) {
	work := t.TempDir()
	marker := filepath.Join(work, "work", "incompat", "volatile")
	if err := os.MkdirAll(marker, 0o700); err != nil {
		t.Fatal(err)
	}
	opts := []string{"lowerdir=/l", "upperdir=/u", "workdir=" + work}
	ms := []driver.Mount{{Type: "overlay", Source: "overlay", Options: opts}}
	clearVolatileMarker(ms)
	if !volatileOverlay(ms) {
		t.Fatal("overlay not made volatile")
	}
	if want := append(append([]string{}, opts...), "volatile"); !reflect.DeepEqual(ms[0].Options, want) {
		t.Fatalf("options %v", ms[0].Options)
	}
	if len(opts) != 3 {
		t.Fatal("caller's options modified")
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("stale volatile marker kept: %v", err)
	}
	if volatileOverlay([]driver.Mount{{Type: "bind", Source: "/x"}}) {
		t.Fatal("bind mount made volatile")
	}
}
