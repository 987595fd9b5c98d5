//go:build linux

package snapshot

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/onggi/onggi/image/layer"
	"github.com/onggi/onggi/internal/testbundle"
)

func applyOptsForUser() layer.Options {
	return layer.Options{NoSameOwner: !isRoot(), NoDevices: !isRoot()}
}

// deepImage has n layers; layer i adds l<i>, and every tenth layer
// deletes the file added five layers earlier, so whiteouts cross the
// flattening boundary.
func deepImage(n int) (image, map[string]string) {
	want := map[string]string{"d": "dir"}
	tars := make([][]byte, n)
	for i := 0; i < n; i++ {
		files := []string{"d/", fmt.Sprintf("d/l%d=%d", i, i)}
		want[fmt.Sprintf("d/l%d", i)] = fmt.Sprint(i)
		if i%10 == 0 && i >= 5 {
			files = append(files, fmt.Sprintf("d/.wh.l%d", i-5))
			delete(want, fmt.Sprintf("d/l%d", i-5))
		}
		tars[i] = layerTar(t0{}, files...)
	}
	return newImage(tars...), want
}

func TestDeepImage150Layers(t *testing.T) {
	testbundle.RequireRoot(t)
	img, want := deepImage(150)
	for _, driver := range []string{DriverOverlay, DriverCopy} {
		t.Run(driver, func(t *testing.T) {
			s := newSnapshotter(t, driver)
			ctx := context.Background()
			must(t, s.Unpack(ctx, img.diffIDs, img.open))
			mounts, err := s.Prepare(ctx, "deep", img.diffIDs)
			must(t, err)
			if driver == DriverOverlay {
				data := strings.Join(mounts[0].Options, ",")
				lowers := strings.Count(strings.SplitN(data, "lowerdir=", 2)[1], ":") + 1
				t.Logf("overlay: %d lowerdirs for 150 layers, %d bytes of mount data", lowers, len(data))
			}
			root := mountAll(t, mounts)
			if d := mapDiff(contents(t, root), want); d != "" {
				t.Fatalf("deep image tree differs:\n%s", d)
			}
			// A second container shares the layers and the flattened base.
			m2, err := s.Prepare(ctx, "deep2", img.diffIDs)
			must(t, err)
			if d := mapDiff(contents(t, mountAll(t, m2)), want); d != "" {
				t.Fatalf("second snapshot differs:\n%s", d)
			}
		})
	}
}

// TestFlattenBudget forces flattening with a tiny budget and checks the
// mount data stays within it.
func TestFlattenBudget(t *testing.T) {
	testbundle.RequireRoot(t)
	img, want := deepImage(12)
	s := newSnapshotter(t, DriverOverlay, WithMaxMountData(600))
	ctx := context.Background()
	must(t, s.Unpack(ctx, img.diffIDs, img.open))
	mounts, err := s.Prepare(ctx, "c", img.diffIDs)
	must(t, err)
	if n := len(strings.Join(mounts[0].Options, ",")); n > 600 {
		t.Fatalf("mount data %d bytes over the 600 budget", n)
	}
	if d := mapDiff(contents(t, mountAll(t, mounts)), want); d != "" {
		t.Fatalf("tree differs:\n%s", d)
	}
}
