package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVolumes: named volume data outlives the container; a new named
// volume is populated from the image; anonymous volumes go with rm -v;
// binds honour ro; volume verbs behave as docker's.
func TestVolumes(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	c.ok("run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept > /data/f")
	if out := c.ok("run", "--rm", "-v", "data:/data", "busybox", "cat", "/data/f"); out != "kept\n" {
		t.Errorf("named volume after rm: %q", out)
	}
	// busybox's /etc holds passwd: a new named volume mounted there starts
	// with the image's files.
	if out := c.ok("run", "--rm", "-v", "etcvol:/etc", "busybox", "cat", "/etc/passwd"); !strings.Contains(out, "root:") {
		t.Errorf("new named volume not populated from the image: %q", out)
	}
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "h"), []byte("host\n"), 0o644)
	if out := c.ok("run", "--rm", "-v", host+":/h:ro", "busybox", "cat", "/h/h"); out != "host\n" {
		t.Errorf("bind: %q", out)
	}
	if r := c.run("run", "--rm", "-v", host+":/h:ro", "busybox", "touch", "/h/x"); r.code == 0 {
		t.Errorf("write to a ro bind succeeded")
	}
	c.ok("run", "--rm", "--mount", "type=tmpfs,target=/t,tmpfs-size=1m", "busybox", "sh", "-c", "df -k /t | grep -q 1024")
	c.ok("run", "--rm", "--mount", "type=volume,source=mvol,target=/m", "busybox", "touch", "/m/x")
	if out := c.ok("volume", "ls", "-q"); !strings.Contains(out, "mvol") || !strings.Contains(out, "data") {
		t.Errorf("volume ls -q: %q", out)
	}

	id := c.runD("-v", "/anon", "busybox", "sleep", "100")
	var mounts []struct{ Type, Name, Destination string }
	json.Unmarshal([]byte(c.inspectField(id, "{{json .Mounts}}")), &mounts)
	if len(mounts) != 1 || mounts[0].Type != "volume" || mounts[0].Destination != "/anon" {
		t.Fatalf("anonymous volume mounts: %+v", mounts)
	}
	anon := mounts[0].Name
	if r := c.run("volume", "rm", anon); r.code == 0 || !strings.Contains(r.stderr, "in use") {
		t.Errorf("rm of a volume in use: %v", r)
	}
	c.ok("rm", "-f", "-v", id)
	if r := c.run("volume", "inspect", anon); r.code == 0 {
		t.Errorf("anonymous volume survived rm -v")
	}

	c.ok("volume", "create", "--label", "k=v", "labelled")
	var vols []struct {
		Name, Driver, Mountpoint string
		Labels                   map[string]string
	}
	if err := json.Unmarshal([]byte(c.ok("volume", "inspect", "labelled")), &vols); err != nil || len(vols) != 1 ||
		vols[0].Driver != "local" || vols[0].Labels["k"] != "v" {
		t.Errorf("volume inspect: %+v %v", vols, err)
	}
	c.ok("volume", "rm", "labelled")
	c.ok("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=2m", "tmpvol")
	if out := c.ok("run", "--rm", "-v", "tmpvol:/t", "busybox", "df", "-k", "/t"); !strings.Contains(out, "2048") {
		t.Errorf("tmpfs volume: %q", out)
	}
	out := c.ok("volume", "prune", "-a", "-f")
	if !strings.Contains(out, "data") {
		t.Errorf("volume prune -a: %q", out)
	}
	if out := c.ok("volume", "ls", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("volumes left after prune -a: %q", out)
	}
}

// TestCpCommitExportDiff: files in and out, symlinks never escape, commit
// makes a runnable image, export and diff see the change.
func TestCpCommitExportDiff(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	id := c.runD("busybox", "sh", "-c", "ln -s / /escape; echo in > /made; rm /bin/vi; sleep 100")
	// Wait for the setup to run.
	for i := 0; i < 100 && c.run("exec", id, "test", "-e", "/made").code != 0; i++ {
		c.run("exec", id, "sleep", "0.05")
	}
	dir := t.TempDir()
	c.ok("cp", id+":/made", filepath.Join(dir, "made"))
	if b, _ := os.ReadFile(filepath.Join(dir, "made")); string(b) != "in\n" {
		t.Errorf("cp out: %q", b)
	}
	os.WriteFile(filepath.Join(dir, "up"), []byte("up\n"), 0o644)
	c.ok("cp", filepath.Join(dir, "up"), id+":/escape/tmp/up")
	if out := c.ok("exec", id, "cat", "/tmp/up"); out != "up\n" {
		t.Errorf("cp through a symlink to / did not land inside the container: %q", out)
	}
	if _, err := os.Stat("/tmp/up"); err == nil {
		t.Errorf("cp escaped the container to the host's /tmp/up")
		os.Remove("/tmp/up")
	}
	diff := c.ok("diff", id)
	for _, want := range []string{"A /made", "D /bin/vi", "C /tmp", "A /tmp/up"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
	c.ok("commit", "-m", "msg", id, "committed:1")
	if out := c.ok("run", "--rm", "committed:1", "cat", "/made"); out != "in\n" {
		t.Errorf("run of a committed image: %q", out)
	}
	tarFile := filepath.Join(dir, "export.tar")
	c.ok("export", "-o", tarFile, id)
	if out := imageRunTool(t, "tar", "-tf", tarFile); !strings.Contains(out, "made") {
		t.Errorf("export lacks /made")
	}
	if out := c.ok("port", id); strings.TrimSpace(out) != "" {
		t.Errorf("port of a container with no published ports: %q", out)
	}
}

// TestInspectAndPrune: docker's inspect shape, container prune.
func TestInspectAndPrune(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	c.ok("run", "--name", "gone", "busybox", "true")
	keep := c.runD("--name", "kept", "busybox", "sleep", "100")
	var got []map[string]any
	if err := json.Unmarshal([]byte(c.ok("inspect", "kept")), &got); err != nil || len(got) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	for _, k := range []string{"Id", "Created", "Path", "Args", "State", "Image", "Name", "HostConfig", "Config", "Mounts", "NetworkSettings", "LogPath"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("inspect lacks %s", k)
		}
	}
	if got[0]["Name"] != "/kept" || got[0]["Id"] != keep {
		t.Errorf("inspect Name/Id: %v %v", got[0]["Name"], got[0]["Id"])
	}
	out := c.ok("container", "prune", "-f")
	if !strings.Contains(out, "Deleted Containers") {
		t.Errorf("prune output: %q", out)
	}
	if out := c.ok("ps", "-a", "--format", "{{.Names}}"); strings.TrimSpace(out) != "kept" {
		t.Errorf("after prune: %q", out)
	}
}
