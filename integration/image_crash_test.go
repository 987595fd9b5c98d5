package integration

import (
	"archive/tar"
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestImageLoadKilledMidway kills `onggi load` with SIGKILL while it is
// writing a large layer, then checks that the store still works, that the
// same load succeeds, and that prune clears the interrupted write's debris.
func TestImageLoadKilledMidway(t *testing.T) {
	src := newImageCLI(t)
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	big := make([]byte, 96<<20)
	rand.New(rand.NewSource(1)).Read(big) // incompressible, so nothing shortcuts the write
	tw.WriteHeader(&tar.Header{Name: "big.bin", Mode: 0o644, Size: int64(len(big)), Typeflag: tar.TypeReg})
	tw.Write(big)
	tw.Close()
	r := src.runIn(&layer, "import", "-", "big:1")
	if r.code != 0 {
		t.Fatalf("import: %v", r)
	}
	id := strings.TrimSpace(r.stdout)
	archive := filepath.Join(t.TempDir(), "big.tar")
	src.ok("save", "-o", archive, "big:1")
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}

	dst := newImageCLI(t)
	cmd := dst.command("load")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Feed half the archive: load is then inside the big layer's write,
	// and cannot finish, since the rest never comes.
	if _, err := stdin.Write(data[:len(data)/2]); err != nil {
		t.Fatal(err)
	}
	waitIngest(t, filepath.Join(dst.root, "image", "ingest"))
	cmd.Process.Kill()
	cmd.Wait()
	stdin.Close()

	if out := dst.ok("images", "-qa"); strings.TrimSpace(out) != "" {
		t.Fatalf("a killed load left an image: %q", out)
	}
	if out := dst.ok("load", "-i", archive); strings.TrimSpace(out) != "Loaded image: big:1" {
		t.Fatalf("load after kill: %q", out)
	}
	if got := dst.inspect("big:1").ID; got != id {
		t.Fatalf("loaded %s, want %s", got, id)
	}
	dst.ok("image", "prune", "-f")
	if ents, _ := os.ReadDir(filepath.Join(dst.root, "image", "ingest")); len(ents) != 0 {
		t.Errorf("prune left %d ingest files", len(ents))
	}
	if got := dst.inspect("big:1").ID; got != id {
		t.Fatalf("prune removed the loaded image")
	}
}

// waitIngest waits until an interrupted-write temp file has data in it.
func waitIngest(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if fi, err := e.Info(); err == nil && fi.Size() > 1<<20 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("load never started writing the layer")
}

// TestImageConcurrentLoads runs several loads of one archive and prunes at
// the same time on one root: every command must succeed and the store must
// end with the one image, intact.
func TestImageConcurrentLoads(t *testing.T) {
	src := newImageCLI(t)
	id := src.bootstrapBusybox()
	archive := filepath.Join(t.TempDir(), "bb.tar")
	src.ok("save", "-o", archive, "busybox")
	dst := newImageCLI(t)
	type outcome struct {
		args []string
		r    result
	}
	jobs := [][]string{{"load", "-i", archive}, {"load", "-i", archive}, {"load", "-i", archive},
		{"image", "prune", "-f"}, {"load", "-i", archive}, {"image", "prune", "-a", "-f", "--filter", "label=none"}}
	done := make(chan outcome, len(jobs))
	for _, args := range jobs {
		go func() { done <- outcome{args, runCmd(t, dst.command(args...))} }()
	}
	for range jobs {
		o := <-done
		if o.r.code != 0 {
			t.Errorf("onggi %s: %v", strings.Join(o.args, " "), o.r)
		}
	}
	if got := dst.inspect("busybox").ID; got != id {
		t.Fatalf("after concurrent loads: %s, want %s", got, id)
	}
	if q := imageLines(dst.ok("images", "-q")); len(q) != 1 {
		t.Errorf("images: %q", q)
	}
	dir := filepath.Join(t.TempDir(), "rootfs")
	dst.ok("image", "unpack", "busybox", dir)
	if _, err := os.Stat(filepath.Join(dir, "bin", "busybox")); err != nil {
		t.Errorf("unpacked image lacks busybox: %v", err)
	}
}
