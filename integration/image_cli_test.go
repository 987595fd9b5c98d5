package integration

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestImageBootstrapBusyboxReproducible(t *testing.T) {
	a, b := newImageCLI(t), newImageCLI(t)
	idA, idB := a.bootstrapBusybox(), b.bootstrapBusybox()
	if idA != idB || !strings.HasPrefix(idA, "sha256:") {
		t.Fatalf("two bootstraps: %q vs %q", idA, idB)
	}
	img := a.inspect("busybox")
	if img.ID != idA || !reflect.DeepEqual(img.RepoTags, []string{"busybox:latest"}) {
		t.Errorf("inspect busybox: %+v", img)
	}
	if cmd, _ := json.Marshal(img.Config["Cmd"]); string(cmd) != `["sh"]` {
		t.Errorf("Cmd = %s", cmd)
	}
	if a.inspect("docker.io/library/busybox:latest").ID != idA {
		t.Error("full name does not resolve")
	}
}

func TestImagesListAndFormat(t *testing.T) {
	c := newImageCLI(t)
	id := c.bootstrapBusybox()
	c.ok("tag", "busybox", "example.com/team/tool:v1")
	out := imageLines(c.ok("images"))
	if len(out) != 3 || !strings.HasPrefix(out[0], "REPOSITORY") {
		t.Fatalf("images:\n%s", strings.Join(out, "\n"))
	}
	short := strings.TrimPrefix(id, "sha256:")[:12]
	got := c.ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
	for _, want := range []string{"busybox:latest " + short, "example.com/team/tool:v1 " + short} {
		if !strings.Contains(got, want) {
			t.Errorf("--format output lacks %q:\n%s", want, got)
		}
	}
	if q := imageLines(c.ok("images", "-q")); len(q) != 1 || q[0] != short {
		t.Errorf("images -q: %q", q)
	}
	if q := imageLines(c.ok("images", "-q", "--no-trunc")); len(q) != 1 || q[0] != id {
		t.Errorf("images -q --no-trunc: %q", q)
	}
	if r := imageLines(c.ok("images", "--filter", "reference=busy*", "--format", "{{.Repository}}")); !reflect.DeepEqual(r, []string{"busybox"}) {
		t.Errorf("reference filter: %q", r)
	}
	if r := imageLines(c.ok("images", "--filter", "dangling=true", "-q")); len(r) != 0 {
		t.Errorf("dangling=true listed %q", r)
	}
	var row map[string]string
	if err := json.Unmarshal([]byte(imageLines(c.ok("images", "--format", "json", "busybox"))[0]), &row); err != nil || row["Repository"] != "busybox" || row["ID"] != short {
		t.Errorf("json row %v (%v)", row, err)
	}
	digests := c.ok("images", "--digests", "--format", "{{.Digest}}", "busybox")
	if strings.TrimSpace(digests) != c.inspect("busybox").Descriptor.Digest {
		t.Errorf("--digests shows %q", digests)
	}
	if r := c.run("images", "--filter", "bogus=1"); r.code != 125 {
		t.Errorf("bad filter: %v", r)
	}
}

func TestImageRmiAndPrune(t *testing.T) {
	c := newImageCLI(t)
	id := c.bootstrapBusybox()
	c.ok("tag", "busybox", "other:1")
	out := c.ok("rmi", "other:1")
	if strings.TrimSpace(out) != "Untagged: other:1" {
		t.Errorf("rmi of one of two tags: %q", out)
	}
	r := c.run("rmi", "nosuch:image")
	if r.code == 0 || !strings.Contains(r.stderr, "No such image: nosuch:image") {
		t.Errorf("rmi missing: %v", r)
	}
	out = c.ok("image", "rm", "busybox")
	if !strings.Contains(out, "Untagged: busybox:latest") || !strings.Contains(out, "Deleted: "+id) {
		t.Errorf("rmi last tag: %q", out)
	}
	if got := c.ok("images", "-q"); strings.TrimSpace(got) != "" {
		t.Errorf("images after rmi: %q", got)
	}
	// An untagged image is dangling: prune removes it, and its blobs.
	c.bootstrapBusybox()
	c.ok("tag", "busybox", "keep:me")
	c.ok("rmi", "busybox", "keep:me")
	c.bootstrapBusybox()
	c.ok("image", "rm", "busybox") // deleted outright: nothing dangling
	imp := imageImportTar(t, c, "-", nil)
	if dangling := c.ok("images", "-q", "--filter", "dangling=true", "--no-trunc"); strings.TrimSpace(dangling) != imp {
		t.Fatalf("dangling images %q, want %q", dangling, imp)
	}
	out = c.ok("image", "prune", "-f")
	if !strings.Contains(out, "deleted: "+imp) || !strings.Contains(out, "Total reclaimed space:") {
		t.Errorf("prune: %q", out)
	}
	if got := c.ok("images", "-qa"); strings.TrimSpace(got) != "" {
		t.Errorf("images after prune: %q", got)
	}
}

// imageImportTar imports a small rootfs tar (with the given --change flags) and
// returns the new image ID.
func imageImportTar(t *testing.T, c *imageCLI, ref string, changes []string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range map[string]string{"etc/os-release": "ID=test\n", "hello.txt": "hello\n"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	args := []string{"import"}
	for _, ch := range changes {
		args = append(args, "--change", ch)
	}
	args = append(args, "-")
	if ref != "-" {
		args = append(args, ref)
	}
	r := c.runIn(&buf, args...)
	if r.code != 0 {
		t.Fatalf("import: %v", r)
	}
	return strings.TrimSpace(r.stdout)
}

func TestImageImportChanges(t *testing.T) {
	c := newImageCLI(t)
	id := imageImportTar(t, c, "imported:1", []string{`CMD ["/bin/app"]`, "ENV A=1 B=2", "EXPOSE 8080", "LABEL team=x", "WORKDIR /srv", "USER 1000"})
	img := c.inspect("imported:1")
	if img.ID != id {
		t.Fatalf("inspect ID %s, import printed %s", img.ID, id)
	}
	want := map[string]string{"Cmd": `["/bin/app"]`, "Env": `["A=1","B=2"]`, "ExposedPorts": `{"8080/tcp":{}}`,
		"Labels": `{"team":"x"}`, "WorkingDir": `"/srv"`, "User": `"1000"`}
	for k, v := range want {
		if got, _ := json.Marshal(img.Config[k]); string(got) != v {
			t.Errorf("Config.%s = %s, want %s", k, got, v)
		}
	}
	if got := c.ok("images", "--filter", "label=team=x", "-q", "--no-trunc"); strings.TrimSpace(got) != id {
		t.Errorf("label filter: %q", got)
	}
	if r := c.run("import", "--change", "RUN rm -rf /", "-"); r.code != 125 {
		t.Errorf("invalid change accepted: %v", r)
	}
	if r := c.run("import", "http://example.com/rootfs.tar"); r.code != 125 || !strings.Contains(r.stderr, "URL") {
		t.Errorf("URL import: %v", r)
	}
	hist := imageLines(c.ok("image", "history", "imported:1"))
	if len(hist) != 2 || !strings.Contains(hist[1], "Imported from -") {
		t.Errorf("history:\n%s", strings.Join(hist, "\n"))
	}
}

func TestImageInspectFormatAndErrors(t *testing.T) {
	c := newImageCLI(t)
	id := c.bootstrapBusybox()
	if got := strings.TrimSpace(c.ok("image", "inspect", "--format", "{{.Id}} {{.Os}}/{{.Architecture}}", "busybox")); got != id+" linux/amd64" {
		t.Errorf("inspect --format: %q", got)
	}
	r := c.run("image", "inspect", "busybox", "missing:x")
	if r.code != 1 || !strings.Contains(r.stderr, "No such image: missing:x") || !strings.Contains(r.stdout, id) {
		t.Errorf("inspect with a missing image: %v", r)
	}
	if r := c.run("tag", "missing:x", "y:z"); r.code != 125 {
		t.Errorf("tag missing: %v", r)
	}
	if r := c.run("tag", "busybox", "UPPER:case"); r.code != 125 {
		t.Errorf("tag invalid name: %v", r)
	}
}

func TestSystemDf(t *testing.T) {
	c := newImageCLI(t)
	c.bootstrapBusybox()
	out := imageLines(c.ok("system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}"))
	want := []string{"Images 1 0", "Containers 0 0", "Local Volumes 0 0", "Build Cache 0 0"}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("system df: %q", out)
	}
	if v := c.ok("system", "df", "-v"); !strings.Contains(v, "busybox") || !strings.Contains(v, "Images space usage:") {
		t.Errorf("system df -v:\n%s", v)
	}
}

func TestSaveRefusesTerminalAndWritesFile(t *testing.T) {
	c := newImageCLI(t)
	c.bootstrapBusybox()
	out := filepath.Join(t.TempDir(), "bb.tar")
	c.ok("save", "-o", out, "busybox")
	if fi, err := os.Stat(out); err != nil || fi.Size() < 1<<20 {
		t.Fatalf("save -o: %v", err)
	}
	if r := c.run("save", "--format", "zip", "busybox"); r.code != 125 {
		t.Errorf("bad format: %v", r)
	}
	if r := c.run("save", "-o", out, "nosuch"); r.code != 125 || !strings.Contains(r.stderr, "No such image") {
		t.Errorf("save missing: %v", r)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() < 1<<20 {
		t.Error("a failed save clobbered the existing archive")
	}
}
