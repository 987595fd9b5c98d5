//go:build linux

package snapshot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/onggi/onggi/image/errdefs"
)

// RemoveDeferred hides the snapshot at once; purge deletes its files.
func TestRemoveDeferred(t *testing.T) {
	s := newSnapshotter(t, DriverCopy, WithApplyOptions(applyOptsForUser()))
	ctx := context.Background()
	must(t, s.Unpack(ctx, small.diffIDs, small.open))
	_, err := s.Prepare(ctx, "c1", small.diffIDs)
	must(t, err)
	purge, err := s.RemoveDeferred(ctx, "c1")
	must(t, err)
	if _, err := s.Stat(ctx, "c1"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Stat after RemoveDeferred: %v", err)
	}
	_, err = s.Prepare(ctx, "c1", small.diffIDs) // the key is free again
	must(t, err)
	must(t, purge())
	if ents, _ := os.ReadDir(filepath.Join(s.root, "tmp")); len(ents) != 0 {
		t.Fatalf("tmp not purged: %v", ents)
	}
	if _, err := s.RemoveDeferred(ctx, "nope"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
}

// Prepare returns the mounts it wrote without reading them back: they
// must be what Mounts reads later.
func TestPrepareMountsMatchMounts(t *testing.T) {
	for _, driver := range []string{DriverOverlay, DriverCopy} {
		s := newSnapshotter(t, driver, WithApplyOptions(applyOptsForUser()))
		ctx := context.Background()
		must(t, s.Unpack(ctx, small.diffIDs, small.open))
		got, err := s.Prepare(ctx, "c1", small.diffIDs)
		must(t, err)
		again, err := s.Mounts(ctx, "c1")
		must(t, err)
		if !reflect.DeepEqual(got, again) {
			t.Errorf("%s: Prepare %+v, Mounts %+v", driver, got, again)
		}
	}
}
