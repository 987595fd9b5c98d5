package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/layer"
	"github.com/onggi/onggi/image/manifest"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func openStore(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "image"), append([]Option{WithSnapshotter("copy")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// makeImage builds an image whose one layer holds files (name → content).
func makeImage(t testing.TB, s *Store, files map[string]string, names ...string) *Image {
	t.Helper()
	img, err := createImage(context.Background(), s, files, names...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func createImage(ctx context.Context, s *Store, files map[string]string, names ...string) (*Image, error) {
	dir, err := os.MkdirTemp("", "imgsrc")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for n, c := range files {
		p := filepath.Join(dir, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			return nil, err
		}
	}
	lease, err := s.Lease(ctx)
	if err != nil {
		return nil, err
	}
	defer lease.Unlock()
	desc, diffID, err := s.WriteLayer(ctx, layer.Gzip, func(w io.Writer) error { return layer.Tar(ctx, dir, w) })
	if err != nil {
		return nil, err
	}
	created := time.Now().UTC()
	cfg := ocispec.Image{Created: &created, Platform: s.Platform(), Config: ocispec.ImageConfig{Cmd: []string{"sh"}}}
	cfg.RootFS.DiffIDs = []digest.Digest{diffID}
	return s.Create(ctx, CreateOptions{Config: cfg, Layers: []ocispec.Descriptor{desc}}, names...)
}

func TestPutGetResolve(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	img := makeImage(t, s, map[string]string{"etc/hostname": "a"}, "busybox", "busybox:1", "localhost:5000/x/y:2")
	if img.ID != img.Manifest.Config.Digest || len(img.Config.RootFS.DiffIDs) != 1 || img.Size <= 0 ||
		img.Target.Digest != img.ManifestDigest || img.Target.Size <= 0 || img.Target.MediaType != ocispec.MediaTypeImageManifest {
		t.Fatalf("image %+v", img)
	}
	wantTags := "busybox:1 busybox:latest localhost:5000/x/y:2"
	if got := strings.Join(img.FamiliarTags(), " "); got != wantTags {
		t.Fatalf("tags %q, want %q", got, wantTags)
	}
	for _, ref := range []string{"busybox", "busybox:latest", "docker.io/library/busybox:1", "localhost:5000/x/y:2",
		img.ID.String(), img.ID.Encoded(), img.ID.Encoded()[:12], "sha256:" + img.ID.Encoded()[:6],
		"busybox@" + img.ManifestDigest.String()} {
		got, err := s.Get(ctx, ref)
		if err != nil || got.ID != img.ID {
			t.Errorf("Get(%q) = %v, %v", ref, got, err)
		}
	}
	for _, ref := range []string{"alpine", "busybox:2", "ffffffffffff", "busybox@" + digest.FromString("x").String()} {
		if _, err := s.Get(ctx, ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q): %v, want ErrNotFound", ref, err)
		}
	}
	if _, err := s.Get(ctx, "Bad:Ref:"); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrInvalid) {
		t.Errorf("bad ref: %v", err)
	}
	// Moving a tag leaves the old image with its other names.
	img2 := makeImage(t, s, map[string]string{"x": "2"}, "busybox")
	old, err := s.Get(ctx, img.ID.String())
	if err != nil || strings.Join(old.FamiliarTags(), " ") != "busybox:1 localhost:5000/x/y:2" {
		t.Fatalf("old image after tag move: %v %v", old.FamiliarTags(), err)
	}
	if _, err := s.Put(ctx, img.Target, "busybox@"+digest.FromString("other").String()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Put with a digest name of other content: %v", err)
	}
	withDigest, err := s.Put(ctx, img.Target, "busybox@"+img.ManifestDigest.String())
	must(t, err)
	if len(withDigest.RepoDigests) != 1 || withDigest.FamiliarDigests()[0] != "busybox@"+img.ManifestDigest.String() {
		t.Fatalf("RepoDigests %v", withDigest.RepoDigests)
	}
	must(t, s.Tag(ctx, "busybox:1", "mine:v1"))
	if got, _ := s.Get(ctx, "mine:v1"); got == nil || got.ID != img.ID {
		t.Fatal("Tag did not name the image")
	}
	if err := s.Tag(ctx, "busybox", "x@"+img.ID.String()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("tag with digest: %v", err)
	}
	list, err := s.List(ctx)
	must(t, err)
	if len(list) != 2 || list[0].ID != img2.ID {
		t.Fatalf("List: %d images, first %v", len(list), list[0].ID)
	}
}

func TestRemoveDockerRules(t *testing.T) {
	used := map[digest.Digest]bool{}
	s := openStore(t, WithInUse(func(id digest.Digest) bool { return used[id] }))
	ctx := context.Background()
	img := makeImage(t, s, map[string]string{"f": "1"}, "a:1", "b:1")
	if _, err := s.Remove(ctx, img.ID.Encoded()[:12], RemoveOptions{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("rmi <id> with two repos: %v", err)
	}
	resp, err := s.Remove(ctx, "a:1", RemoveOptions{})
	must(t, err)
	if len(resp) != 1 || resp[0].Untagged != "a:1" {
		t.Fatalf("rmi a:1: %+v", resp)
	}
	used[img.ID] = true
	if _, err := s.Remove(ctx, "b:1", RemoveOptions{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("rmi of the last name of a used image: %v", err)
	}
	resp, err = s.Remove(ctx, "b:1", RemoveOptions{Force: true})
	must(t, err)
	if len(resp) != 1 || resp[0].Untagged != "b:1" {
		t.Fatalf("rmi -f of a used image: %+v", resp)
	}
	if _, err := s.Get(ctx, img.ID.String()); err != nil {
		t.Fatalf("a used image was deleted: %v", err)
	}
	used[img.ID] = false
	resp, err = s.Remove(ctx, img.ID.String(), RemoveOptions{})
	must(t, err)
	if len(resp) < 1 || resp[0].Deleted != img.ID {
		t.Fatalf("rmi <id>: %+v", resp)
	}
	n := 0
	s.Content().Walk(func(content.Info) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d blobs left after deleting the only image", n)
	}
}

func TestPruneGCAndUsage(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	keep := makeImage(t, s, map[string]string{"k": "keep"}, "keep")
	dangling := makeImage(t, s, map[string]string{"d": "dangling"}, "tmp")
	makeImage(t, s, map[string]string{"d2": "other"}, "tmp") // takes the name: first one dangles
	must(t, s.Unpack(ctx, keep))
	// Garbage: an unreferenced blob and a leftover ingest file.
	orphan, err := s.Content().WriteBytes(ctx, "x", []byte("orphan"))
	must(t, err)
	os.WriteFile(filepath.Join(s.Root(), "ingest", "blob-dead"), []byte("partial"), 0o600)

	du, err := s.DiskUsage(ctx)
	must(t, err)
	if len(du.Images) != 3 || du.TotalSize <= 0 || du.Reclaimable != du.TotalSize {
		t.Fatalf("disk usage %+v", du)
	}
	rep, err := s.Prune(ctx, PruneOptions{})
	must(t, err)
	if len(rep.Deleted) == 0 || rep.Deleted[0].Deleted != dangling.ID || rep.SpaceReclaimed <= 0 {
		t.Fatalf("prune: %+v", rep)
	}
	if s.Content().Has(orphan.Digest) {
		t.Fatal("GC kept an orphan blob")
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Root(), "ingest")); len(ents) != 0 {
		t.Fatal("GC kept an ingest leftover")
	}
	if _, err := s.Get(ctx, "keep"); err != nil {
		t.Fatal(err)
	}
	rep, err = s.Prune(ctx, PruneOptions{All: true, Filter: func(i *Image) bool { return i.ID != keep.ID }})
	must(t, err)
	list, _ := s.List(ctx)
	if len(list) != 1 || list[0].ID != keep.ID {
		t.Fatalf("prune -a with filter left %d images", len(list))
	}
	if !s.Snapshots().HasLayer(keep.Config.RootFS.DiffIDs[0]) {
		t.Fatal("GC removed the layer of a kept image")
	}
}

// TestConcurrentProcesses runs several processes creating and tagging
// images in one root at once; the table must hold all their names.
func TestConcurrentProcesses(t *testing.T) {
	root := filepath.Join(t.TempDir(), "image")
	var cmds []*exec.Cmd
	for i := 0; i < 4; i++ {
		cmd := storeHelper(root, "create", fmt.Sprint(i))
		must(t, cmd.Start())
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		must(t, c.Wait())
	}
	s, err := Open(root)
	must(t, err)
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		for j := 0; j < 5; j++ {
			if _, err := s.Get(ctx, fmt.Sprintf("p%d:%d", i, j)); err != nil {
				t.Errorf("p%d:%d: %v", i, j, err)
			}
		}
	}
	if _, err := s.Get(ctx, "shared"); err != nil {
		t.Fatal(err)
	}
}

// TestKilledWriter kills a process looping over image creation at some
// instant; the next user of the store reads it, GCs it and writes to it.
func TestKilledWriter(t *testing.T) {
	root := filepath.Join(t.TempDir(), "image")
	for round := 0; round < 3; round++ {
		cmd := storeHelper(root, "loop", fmt.Sprint(round))
		out, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())
		buf := make([]byte, 3*(round+2))
		io.ReadFull(out, buf) // a few images in
		time.Sleep(time.Duration(round*7) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		s, err := Open(root, WithSnapshotter("copy"))
		must(t, err)
		ctx := context.Background()
		list, err := s.List(ctx)
		must(t, err)
		if len(list) == 0 {
			t.Fatal("no images survived")
		}
		_, err = s.GC(ctx)
		must(t, err)
		for _, img := range list {
			for _, l := range img.Manifest.Layers {
				b, err := s.Content().ReadAll(l.Digest, 1<<30)
				if err != nil || digest.FromBytes(b) != l.Digest {
					t.Fatalf("layer %s of %s damaged: %v", l.Digest, img.ID, err)
				}
			}
		}
		makeImage(t, s, map[string]string{"after": fmt.Sprint(round)}, "after")
	}
}

func storeHelper(root, mode, arg string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestStoreHelper$")
	cmd.Env = append(os.Environ(), "STORE_HELPER="+mode, "STORE_ROOT="+root, "STORE_ARG="+arg)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestStoreHelper is the child process of the tests above, not a test.
func TestStoreHelper(t *testing.T) {
	mode := os.Getenv("STORE_HELPER")
	if mode == "" {
		t.Skip("helper process only")
	}
	s, err := Open(os.Getenv("STORE_ROOT"), WithSnapshotter("copy"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, arg := context.Background(), os.Getenv("STORE_ARG")
	for j := 0; mode == "loop" || j < 5; j++ {
		files := map[string]string{"f": arg + "/" + fmt.Sprint(j), "big": strings.Repeat(fmt.Sprint(j), 1<<16)}
		if _, err := createImage(ctx, s, files, fmt.Sprintf("p%s:%d", arg, j), "shared"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Print("ok\n")
	}
	os.Exit(0)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestPutIndexSelectsPlatform(t *testing.T) {
	s := openStore(t, WithPlatform(ocispec.Platform{OS: "linux", Architecture: "amd64"}))
	ctx := context.Background()
	img := makeImage(t, s, map[string]string{"f": "amd64"})
	arm := img.Target
	arm.Digest = digest.FromString("arm manifest, not stored")
	arm.Platform = &ocispec.Platform{OS: "linux", Architecture: "arm64"}
	amd := img.Target
	amd.Platform = &ocispec.Platform{OS: "linux", Architecture: "amd64"}
	raw, idesc, err := manifest.MarshalIndex(ocispec.Index{Manifests: []ocispec.Descriptor{arm, amd}})
	must(t, err)
	_, err = s.Content().WriteBytes(ctx, idesc.MediaType, raw)
	must(t, err)
	got, err := s.Put(ctx, idesc, "multi:1")
	must(t, err)
	if got.ID != img.ID || got.IndexDigest != idesc.Digest || got.ManifestDigest != img.ManifestDigest {
		t.Fatalf("Put(index) = %+v", got)
	}
	if byIndex, err := s.Get(ctx, "multi@"+idesc.Digest.String()); err != nil || byIndex.ID != img.ID {
		t.Fatalf("Get by index digest: %v", err)
	}
	s2, err := Open(s.Root(), WithPlatform(ocispec.Platform{OS: "linux", Architecture: "s390x"}))
	must(t, err)
	if _, err := s2.Put(ctx, idesc); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Put(index) without our platform: %v", err)
	}
}
