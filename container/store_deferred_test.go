package container

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

// RemoveDeferred makes the record and name vanish at once; purge deletes
// the files set aside.
func TestRemoveDeferred(t *testing.T) {
	s := newStore(t)
	c := mustCreate(t, s, "d1")
	purge, err := s.RemoveDeferred("d1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(c.ID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("record still readable: %v", err)
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Fatalf("listed after removal: %v", list)
	}
	mustCreate(t, s, "d1") // the name is free again
	if err := purge(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".removing-") {
			t.Fatalf("aside dir left after purge: %s", e.Name())
		}
	}
	if _, err := s.RemoveDeferred(c.ID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("second removal: %v", err)
	}
}
