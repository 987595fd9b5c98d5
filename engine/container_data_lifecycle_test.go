package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/internal/testbundle"
	"github.com/onggi/onggi/monitor"
	"github.com/onggi/onggi/runtime"
	"github.com/onggi/onggi/volume"
)

// logsUntil reads the log until it contains want (the monitor writes it
// asynchronously; there is no event to wait on from outside).
func logsUntil(t *testing.T, e *Engine, id, want string) (string, string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var out, errb bytes.Buffer
		if err := e.ContainerLogs(context.Background(), id, LogsOptions{Tail: -1, Stdout: &out, Stderr: &errb}); err != nil {
			t.Fatalf("logs: %v", err)
		}
		if strings.Contains(out.String()+errb.String(), want) || time.Now().After(deadline) {
			return out.String(), errb.String()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func execOut(t *testing.T, e *Engine, id string, o ExecOptions) (int, string, error) {
	t.Helper()
	var out bytes.Buffer
	o.Streams.Stdout, o.Streams.Stderr = &out, &out
	code, err := e.ExecContainer(context.Background(), id, o)
	return code, out.String(), err
}

func TestDataRunningContainer(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	c := run(t, e, cmd("sh", "-c", "echo out; echo err >&2; exec sleep 1000"), nil)

	in, err := e.InspectContainer(ctx, c.ID)
	if err != nil || in.Name != "/"+c.Name || !in.State.Running || in.Path != "sh" || in.Platform != "linux" || in.NetworkSettings == nil {
		t.Fatalf("inspect %+v %v", in, err)
	}
	rows, err := e.ContainerSummaries(ctx, false, map[string][]string{"id": {c.ID[:12]}})
	if err != nil || len(rows) != 1 || !strings.HasPrefix(rows[0].Status, "Up ") {
		t.Fatalf("ps %+v %v", rows, err)
	}
	if out, errs := logsUntil(t, e, c.ID, "err"); out != "out\n" || errs != "err\n" {
		t.Fatalf("logs %q %q", out, errs)
	}

	code, out, err := execOut(t, e, c.ID, ExecOptions{Cmd: []string{"sh", "-c", "echo $FOO; id -u; exit 3"}, Env: []string{"FOO=bar"}, User: "nobody"})
	if err != nil || code != 3 || out != "bar\n65534\n" {
		t.Fatalf("exec: %d %q %v", code, out, err)
	}
	if _, _, err := execOut(t, e, c.ID, ExecOptions{Cmd: []string{"/nonexistent"}}); !errors.Is(err, runtime.ErrNoExecutable) {
		t.Fatalf("exec missing binary: %v", err)
	}
	sizes := make(chan monitor.Size, 1)
	sizes <- monitor.Size{Width: 111, Height: 33}
	close(sizes)
	code, out, err = execOut(t, e, c.ID, ExecOptions{Cmd: []string{"sh", "-c", "tty; stty size"}, Tty: true, Resize: sizes})
	if err != nil || code != 0 || !strings.HasPrefix(out, "/dev/pts/") || !strings.HasSuffix(out, "33 111\r\n") {
		t.Fatalf("exec -t: %d %q %v", code, out, err)
	}
	code, _, err = execOut(t, e, c.ID, ExecOptions{Cmd: []string{"true"}, Detach: true})
	if err != nil || code != 0 {
		t.Fatalf("exec -d: %d %v", code, err)
	}
	code, out, err = execOut(t, e, c.ID, ExecOptions{Cmd: []string{"sh", "-c", "grep CapEff /proc/self/status"}, Privileged: true})
	if err != nil || code != 0 || strings.Contains(out, "a80425fb") { // docker's default set
		t.Fatalf("exec --privileged caps: %q %v", out, err)
	}
	// docker: 126. onggi's runtime reports EACCES from execve as
	// ErrNoExecutable (127) today; accept both until it tells them apart.
	if _, _, err := execOut(t, e, c.ID, ExecOptions{Cmd: []string{"/etc/passwd"}}); !errors.Is(err, os.ErrPermission) {
		if !errors.Is(err, runtime.ErrNoExecutable) {
			t.Fatalf("exec of a non-executable: %v", err)
		}
		t.Logf("KNOWN: a non-executable file is classified ErrNoExecutable, not os.ErrPermission: %v", err)
	}

	top, err := e.TopContainer(ctx, c.ID, "")
	if err != nil || len(top.Processes) != 1 || !strings.Contains(strings.Join(top.Processes[0], " "), "sleep 1000") {
		t.Fatalf("top %+v %v", top, err)
	}
	st, err := e.ContainerStats(ctx, c.ID)
	if err != nil || st.PidsStats.Current < 1 || st.MemoryStats.Usage == 0 || st.CPUStats.SystemUsage == 0 {
		t.Fatalf("stats %+v %v", st, err)
	}
	if ports, err := e.ContainerPorts(ctx, c.ID); err != nil || len(ports) != 0 {
		t.Fatalf("ports %v %v", ports, err)
	}

	// cp into the running container, read it back both ways.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	noErr(t, tw.WriteHeader(&tar.Header{Name: "hello", Mode: 0o640, Size: 3, Uid: 7, Gid: 8}))
	_, _ = tw.Write([]byte("hi\n"))
	noErr(t, tw.Close())
	noErr(t, e.CopyToContainer(ctx, c.ID, "/tmp", &buf))
	if _, out, _ := execOut(t, e, c.ID, ExecOptions{Cmd: []string{"stat", "-c", "%u:%g %a", "/tmp/hello"}}); out != "7:8 640\n" {
		t.Fatalf("copied file attrs %q", out)
	}
	ps, err := e.StatContainerPath(ctx, c.ID, "/tmp/hello")
	if err != nil || ps.Size != 3 || ps.Name != "hello" {
		t.Fatalf("stat %+v %v", ps, err)
	}
	changes, err := e.DiffContainer(ctx, c.ID)
	if err != nil || !hasChange(changes, "/tmp/hello", ctypes.ChangeAdd) || hasChange(changes, "/etc/hostname", ctypes.ChangeAdd) {
		t.Fatalf("diff %v %v", changes, err)
	}

	img, err := e.CommitContainer(ctx, c.ID, CommitOptions{
		Reference: "committed:1", Comment: "c", Author: "me", Pause: true,
		Changes: []string{"ENV X=1", `CMD ["cat", "/tmp/hello"]`},
	})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	ic := img.Config
	if ic.Author != "me" || strings.Join(ic.Config.Cmd, " ") != "cat /tmp/hello" || !strings.Contains(strings.Join(ic.Config.Env, " "), "X=1") ||
		len(ic.History) == 0 || ic.History[len(ic.History)-1].Comment != "c" || len(img.RepoTags) != 1 {
		t.Fatalf("committed image %+v tags %v", ic, img.RepoTags)
	}
	if cur, _ := e.GetContainer(ctx, c.ID); cur.State.Paused || !cur.State.Running {
		t.Fatalf("state after commit %+v", cur.State)
	}
	// A container of the committed image, never started: cp and export
	// mount its snapshot temporarily.
	c3, _, err := e.CreateContainer(ctx, CreateOptions{Image: img.ID.String(), Config: cmd("true")})
	if err != nil {
		t.Fatalf("create from commit: %v", err)
	}
	var got bytes.Buffer
	if _, err := e.CopyFromContainer(ctx, c3.ID, "/tmp/hello", &got); err != nil || !strings.Contains(got.String(), "hi\n") {
		t.Fatalf("cp from the committed image: %v", err)
	}
	var exp bytes.Buffer
	noErr(t, e.ExportContainer(ctx, c3.ID, &exp))
	if !tarHas(t, exp.Bytes(), "tmp/hello") || !tarHas(t, exp.Bytes(), "bin/busybox") {
		t.Fatal("export lacks files")
	}

	// logs -f ends when the container stops.
	done := make(chan error, 1)
	go func() {
		done <- e.ContainerLogs(ctx, c.ID, LogsOptions{Follow: true, Tail: -1, Stdout: io.Discard, Stderr: io.Discard})
	}()
	timeout := time.Duration(0)
	noErr(t, e.StopContainer(ctx, c.ID, &timeout, ""))
	select {
	case err := <-done:
		noErr(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("logs -f did not end after stop")
	}
	if _, err := e.ExecContainer(ctx, c.ID, ExecOptions{Cmd: []string{"true"}}); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("exec in a stopped container: %v", err)
	}
	if st, err := e.ContainerStats(ctx, c.ID); err != nil || st.MemoryStats.Usage != 0 {
		t.Fatalf("stats of a stopped container: %+v %v", st, err)
	}
}

func hasChange(list []ctypes.FilesystemChange, p string, k ctypes.ChangeType) bool {
	for _, c := range list {
		if c.Path == p && c.Kind == k {
			return true
		}
	}
	return false
}

func tarHas(t *testing.T, b []byte, name string) bool {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err != nil {
			return false
		}
		if strings.TrimPrefix(strings.TrimSuffix(h.Name, "/"), "./") == name {
			return true
		}
	}
}

func TestDataVolumes(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	if _, err := e.CreateVolume(ctx, volumeCreate("v1", map[string]string{"k": "x"})); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateVolume(ctx, volumeCreate("v2", nil)); err != nil {
		t.Fatal(err)
	}
	c := create(t, e, cmd("true"), &ctypes.HostConfig{Binds: []string{"v1:/data"}})
	err := e.RemoveVolume(ctx, "v1", true)
	if !errors.Is(err, errdefs.ErrInUse) || err.Error() != "remove v1: volume is in use - ["+c.ID+"]: in use" {
		t.Fatalf("rm in use: %v", err)
	}
	vols, err := e.ListVolumes(ctx, map[string][]string{"dangling": {"true"}})
	if err != nil || len(vols) != 1 || vols[0].Name != "v2" {
		t.Fatalf("dangling %+v %v", vols, err)
	}
	if vols, _ := e.ListVolumes(ctx, map[string][]string{"label": {"k=x"}}); len(vols) != 1 || vols[0].Name != "v1" {
		t.Fatalf("label filter %+v", vols)
	}
	if _, err := e.ListVolumes(ctx, map[string][]string{"bogus": {"1"}}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bogus filter: %v", err)
	}
	if vi, err := e.InspectVolume(ctx, "v1"); err != nil || len(vi.UsedBy) != 1 {
		t.Fatalf("inspect %+v %v", vi, err)
	}
	if err := e.RemoveVolume(ctx, "nosuch", true); err != nil {
		t.Fatalf("rm -f missing: %v", err)
	}
	if err := e.RemoveVolume(ctx, "nosuch", false); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("rm missing: %v", err)
	}
	// Named volumes survive prune unless all.
	rep, err := e.PruneVolumes(ctx, false, nil)
	if err != nil || len(rep.VolumesDeleted) != 0 {
		t.Fatalf("prune %+v %v", rep, err)
	}
	rep, err = e.PruneVolumes(ctx, true, nil)
	if err != nil || len(rep.VolumesDeleted) != 1 || rep.VolumesDeleted[0] != "v2" {
		t.Fatalf("prune all %+v %v", rep, err)
	}
	noErr(t, e.RemoveContainer(ctx, c.ID, RemoveOptions{}))
	noErr(t, e.RemoveVolume(ctx, "v1", false))
}

func volumeCreate(name string, labels map[string]string) volume.CreateOptions {
	return volume.CreateOptions{Name: name, Labels: labels}
}

// TestDataStoppedCopyDriver covers the paths that mount a stopped
// container's snapshot themselves, with the copy snapshotter (no overlay
// lowerdir: diff compares against a read-only view).
func TestDataStoppedCopyDriver(t *testing.T) {
	testbundle.RequireRoot(t)
	e, err := New(t.TempDir(), t.TempDir(), WithLog(testLog{t}), WithImageOptions(image.WithSnapshotter("copy")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanupEngine(t, e) })
	ctx := context.Background()
	if _, err := e.Bootstrap(ctx, "busybox", BootstrapOptions{}); err != nil {
		t.Fatal(err)
	}
	c := create(t, e, cmd("true"), nil)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	noErr(t, tw.WriteHeader(&tar.Header{Name: "added", Mode: 0o644, Size: 1}))
	_, _ = tw.Write([]byte("x"))
	noErr(t, tw.Close())
	noErr(t, e.CopyToContainer(ctx, c.ID, "/etc", &buf))
	changes, err := e.DiffContainer(ctx, c.ID)
	if err != nil || !hasChange(changes, "/etc/added", ctypes.ChangeAdd) || !hasChange(changes, "/etc", ctypes.ChangeModify) {
		t.Fatalf("diff %v %v", changes, err)
	}
	if ps, err := e.StatContainerPath(ctx, c.ID, "/etc/added"); err != nil || ps.Size != 1 {
		t.Fatalf("stat %+v %v", ps, err)
	}
	img, err := e.CommitContainer(ctx, c.ID, CommitOptions{})
	if err != nil || len(img.RepoTags) != 0 {
		t.Fatalf("commit %v", err)
	}
	if isMounted(e.dataRootfs(c.ID)) {
		t.Fatal("rootfs left mounted")
	}
	if left, _ := filepath.Glob(filepath.Join(e.runroot, "containers", c.ID, "mnt-*")); len(left) != 0 {
		t.Fatalf("temporary mounts left: %v", left)
	}
}
