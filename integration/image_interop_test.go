package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
)

// TestImageSaveLoadRoundTrip: bootstrap → save → rmi → load keeps the image
// ID and the manifest digest, in both archive formats.
func TestImageSaveLoadRoundTrip(t *testing.T) {
	for _, format := range []string{"docker", "oci"} {
		t.Run(format, func(t *testing.T) {
			c := newImageCLI(t)
			id := c.bootstrapBusybox()
			before := c.inspect("busybox")
			archive := filepath.Join(t.TempDir(), "bb.tar")
			c.ok("save", "--format", format, "-o", archive, "busybox")
			c.ok("rmi", "busybox")
			out := c.ok("load", "-i", archive)
			if strings.TrimSpace(out) != "Loaded image: busybox:latest" {
				t.Errorf("load output %q", out)
			}
			after := c.inspect("busybox")
			if after.ID != id || after.Descriptor.Digest != before.Descriptor.Digest {
				t.Fatalf("round trip changed the image: %s/%s → %s/%s", id, before.Descriptor.Digest, after.ID, after.Descriptor.Digest)
			}
		})
	}
}

func TestImageSaveSeveralAndStdout(t *testing.T) {
	c := newImageCLI(t)
	c.bootstrapBusybox()
	imp := imageImportTar(t, c, "imported:1", nil)
	c.ok("tag", "busybox", "busybox:second")
	archive := filepath.Join(t.TempDir(), "all.tar")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	cmd := c.command("save", "busybox", "imported:1") // a bare repository saves all its tags
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = f, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("save to stdout: %v %s", err, stderr.String())
	}
	f.Close()
	d := newImageCLI(t)
	got := imageLines(d.ok("load", "-i", archive))
	sort.Strings(got)
	want := []string{"Loaded image: busybox:latest", "Loaded image: busybox:second", "Loaded image: imported:1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("load: %q", got)
	}
	if d.inspect("imported:1").ID != imp {
		t.Error("imported image changed ID through save/load")
	}
	q := d.ok("load", "-q", "-i", archive)
	if q != "" {
		t.Errorf("load -q printed %q", q)
	}
}

// TestImageSkopeoInterop: skopeo reads onggi's archives (both formats),
// copies them to its own layouts, and onggi loads what skopeo writes.
func TestImageSkopeoInterop(t *testing.T) {
	imageRequireTool(t, "skopeo")
	c := newImageCLI(t)
	id := c.bootstrapBusybox()
	img := c.inspect("busybox")
	dir := t.TempDir()
	dockerArchive, ociArchive := filepath.Join(dir, "d.tar"), filepath.Join(dir, "o.tar")
	c.ok("save", "-o", dockerArchive, "busybox")
	c.ok("save", "--format", "oci", "-o", ociArchive, "busybox")

	var info struct {
		Digest string
		Layers []string
	}
	json.Unmarshal([]byte(imageRunTool(t, "skopeo", "inspect", "oci-archive:"+ociArchive)), &info)
	if info.Digest != img.Descriptor.Digest || len(info.Layers) != 1 {
		t.Errorf("skopeo inspect oci-archive: %+v, want digest %s", info, img.Descriptor.Digest)
	}
	var cfg struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	json.Unmarshal([]byte(imageRunTool(t, "skopeo", "inspect", "--config", "docker-archive:"+dockerArchive)), &cfg)
	if !reflect.DeepEqual(cfg.RootFS.DiffIDs, img.RootFS.Layers) {
		t.Errorf("skopeo inspect docker-archive config diff IDs %v, want %v", cfg.RootFS.DiffIDs, img.RootFS.Layers)
	}

	// skopeo copies onggi's archives to its own formats...
	ociDir := filepath.Join(dir, "layout")
	skDocker, skOCI := filepath.Join(dir, "sk-d.tar"), filepath.Join(dir, "sk-o.tar")
	imageRunTool(t, "skopeo", "copy", "-q", "docker-archive:"+dockerArchive, "oci:"+ociDir+":bb")
	imageRunTool(t, "skopeo", "copy", "-q", "oci-archive:"+ociArchive, "docker-archive:"+skDocker+":busybox:fromskopeo")
	imageRunTool(t, "skopeo", "copy", "-q", "oci:"+ociDir+":bb", "oci-archive:"+skOCI+":docker.io/library/busybox:ociskopeo")

	// ...and onggi loads skopeo's archives: same config, same layers.
	d := newImageCLI(t)
	if out := d.ok("load", "-i", skDocker); strings.TrimSpace(out) != "Loaded image: busybox:fromskopeo" {
		t.Errorf("load skopeo docker-archive: %q", out)
	}
	if got := d.inspect("busybox:fromskopeo"); got.ID != id {
		t.Errorf("skopeo docker-archive loads as %s, want %s", got.ID, id)
	}
	if out := d.ok("load", "-i", skOCI); strings.TrimSpace(out) != "Loaded image: busybox:ociskopeo" {
		t.Errorf("load skopeo oci-archive: %q", out)
	}
	if got := d.inspect("busybox:ociskopeo"); !reflect.DeepEqual(got.RootFS.Layers, img.RootFS.Layers) {
		t.Errorf("skopeo oci-archive layers %v, want %v", got.RootFS.Layers, img.RootFS.Layers)
	}
}

// TestImageUmociUnpackMatches: umoci unpacks onggi's OCI archive to the
// same file tree as `onggi image unpack` (names, types, modes, sizes, link
// targets, owners).
func TestImageUmociUnpackMatches(t *testing.T) {
	testbundle.RequireRoot(t)
	imageRequireTool(t, "umoci")
	c := newImageCLI(t)
	c.bootstrapBusybox()
	dir := t.TempDir()
	archive := filepath.Join(dir, "o.tar")
	c.ok("save", "--format", "oci", "-o", archive, "busybox")
	layout := filepath.Join(dir, "layout")
	os.Mkdir(layout, 0o755)
	imageRunTool(t, "tar", "-xf", archive, "-C", layout)
	bundle := filepath.Join(dir, "bundle")
	imageRunTool(t, "umoci", "unpack", "--image", layout+":docker.io/library/busybox:latest", bundle)
	mine := filepath.Join(dir, "mine")
	c.ok("image", "unpack", "busybox", mine)
	a, b := imageTreeListing(t, filepath.Join(bundle, "rootfs")), imageTreeListing(t, mine)
	if len(a) < 100 {
		t.Fatalf("umoci tree has only %d entries", len(a))
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("trees differ:\numoci: %d entries\nonggi: %d entries\nfirst difference: %s", len(a), len(b), imageFirstDiff(a, b))
	}
}

// imageTreeListing lists a tree as "path type mode size link uid:gid" lines
// (directory sizes left out: they depend on the filesystem).
func imageTreeListing(t *testing.T, dir string) []string {
	t.Helper()
	cmd := exec.Command("find", ".", "-mindepth", "1", "-printf", `%p %y %m %s %l %U:%G\n`)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, l := range imageLines(string(out)) {
		f := strings.Fields(l)
		if len(f) > 3 && f[1] == "d" {
			f[3] = "-"
		}
		list = append(list, strings.Join(f, " "))
	}
	sort.Strings(list)
	return list
}

func imageFirstDiff(a, b []string) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] + " | " + b[i]
		}
	}
	return "(one is a prefix of the other)"
}
