package builder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container/spec"
	"github.com/onggi/onggi/runtime/driver"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// sandboxHostname is a RUN container's hostname (BuildKit's).
const sandboxHostname = "buildkitsandbox"

// runContainer runs spec's process as a container on the mounted rootfs,
// streaming its output to v, and cleans up every mountpoint stub the
// runtime had to create in the rootfs so none reaches the layer.
func (bd *build) runContainer(ctx context.Context, rs runSpec, rootfs, bundle string, v *vertex) (_ keepEntry, retErr error) {
	extra, release, err := bd.runMounts(ctx, rs, bundle)
	defer release()
	if err != nil {
		return nil, err
	}
	etc, err := writeEtcFiles(bundle)
	if err != nil {
		return nil, err
	}
	id := "build-" + bd.id + "-" + filepath.Base(bundle)[len(bd.id)+1:]
	env := rs.env
	for _, m := range extra {
		if m.env != "" {
			env = append(env, m.env)
		}
	}
	sp, err := spec.Generate(spec.Input{
		ID: id,
		Config: &ctypes.Config{Cmd: rs.args, Env: env, User: rs.user, WorkingDir: rs.workdir,
			Hostname: sandboxHostname},
		HostConfig: &ctypes.HostConfig{NetworkMode: ctypes.NetworkMode(rs.network)},
		Rootfs:     rootfs, Mounts: specMounts(extra), EtcFiles: etc,
	})
	if err != nil {
		return nil, err
	}
	stubs, parents, err := mountTargets(rootfs, sp.Mounts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := removeStubs(stubs, parents, rootfs); err != nil && retErr == nil {
			retErr = err
		}
	}()
	if err := ensureWorkdir(rootfs, sp.Process.Cwd); err != nil {
		return nil, err
	}
	b, err := json.Marshal(sp)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600); err != nil {
		return nil, fmt.Errorf("writing build step bundle: %w", err)
	}
	return dropUnchangedDirs(parents), bd.execute(ctx, id, bundle, rs.args, v)
}

// execute creates, starts and waits for the container, and deletes it
// (its cgroup and runtime state) whatever happens.
func (bd *build) execute(ctx context.Context, id, bundle string, args []string, v *vertex) error {
	drv, err := bd.b.driver()
	if err != nil {
		return err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	tail := &tailBuffer{max: 64 << 10}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(io.MultiWriter(v, tail), pr)
	}()
	proc, err := drv.Create(id, bundle, driver.IO{Stdout: pw, Stderr: pw})
	pw.Close()
	if err != nil {
		<-copied
		return fmt.Errorf("creating build container: %w", err)
	}
	defer drv.Delete(id, true)
	if err := drv.Start(id); err != nil {
		_ = drv.Kill(id, 9, true)
		_, _ = proc.Wait()
		<-copied
		return fmt.Errorf("starting build container: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = drv.Kill(id, 9, true) })
	code, err := proc.Wait()
	stop()
	<-copied
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if err != nil {
		return fmt.Errorf("waiting for build container: %w", err)
	}
	if code != 0 {
		return &RunError{Args: args, ExitCode: code, Output: tail.bytes()}
	}
	return nil
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.buf)
}

// writeEtcFiles writes the step's /etc/hosts, /etc/hostname and a copy of
// the host's /etc/resolv.conf into the bundle, to be bind-mounted.
func writeEtcFiles(bundle string) (map[string]string, error) {
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		resolv = []byte("nameserver 8.8.8.8\n")
	}
	files := map[string][]byte{
		"/etc/hosts":       []byte("127.0.0.1\tlocalhost " + sandboxHostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
		"/etc/hostname":    []byte(sandboxHostname + "\n"),
		"/etc/resolv.conf": resolv,
	}
	out := map[string]string{}
	for dst, data := range files {
		p := filepath.Join(bundle, "etc-"+filepath.Base(dst))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, fmt.Errorf("build step %s: %w", dst, err)
		}
		out[dst] = p
	}
	return out, nil
}

// ensureWorkdir creates the working directory if a base image's WORKDIR
// does not exist (Docker creates it too).
func ensureWorkdir(rootfs, cwd string) error {
	p, err := securejoin.SecureJoin(rootfs, cwd)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		return fmt.Errorf("creating working directory %s: %w", cwd, err)
	}
	return nil
}

// mountTargets lists, deepest first, the host paths of every mount
// destination (and its parents) that does not exist in the rootfs yet —
// the runtime creates them as mountpoints, and they must not end up in
// the step's layer — and records the directories above them that do
// exist (by path relative to rootfs), whose mtimes the stubs will touch.
func mountTargets(rootfs string, ms []specs.Mount) ([]string, map[string]dirMeta, error) {
	seen := map[string]bool{}
	var stubs []string
	parents := map[string]dirMeta{}
	for _, m := range ms {
		for p := filepath.Clean(m.Destination); p != "/" && p != "."; p = filepath.Dir(p) {
			hp, err := securejoin.SecureJoin(rootfs, p)
			if err != nil {
				return nil, nil, err
			}
			if seen[hp] {
				continue
			}
			seen[hp] = true
			fi, err := os.Lstat(hp)
			if errors.Is(err, os.ErrNotExist) {
				stubs = append(stubs, hp)
				continue
			}
			if err == nil && fi.IsDir() {
				if rel, err := filepath.Rel(rootfs, hp); err == nil {
					parents[rel] = metaOf(fi)
				}
			}
		}
	}
	sort.Slice(stubs, func(i, j int) bool { return strings.Count(stubs[i], "/") > strings.Count(stubs[j], "/") })
	return stubs, parents, nil
}

func metaOf(fi os.FileInfo) dirMeta {
	m := dirMeta{mode: fi.Mode(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		m.uid, m.gid = int(st.Uid), int(st.Gid)
	}
	return m
}

// removeStubs removes the mountpoints the runtime created, if they are
// still empty (a step that wrote into one keeps it), and gives the
// directories above them back their mtimes.
func removeStubs(stubs []string, parents map[string]dirMeta, rootfs string) error {
	for _, p := range stubs {
		fi, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if fi.Mode().IsRegular() && fi.Size() == 0 || fi.IsDir() {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) && !isNotEmpty(err) {
				return fmt.Errorf("removing mountpoint %s: %w", p, err)
			}
		}
	}
	for rel, m := range parents {
		hp, err := securejoin.SecureJoin(rootfs, rel)
		if err != nil {
			continue
		}
		ts := []unix.Timespec{unix.NsecToTimespec(m.mtime.UnixNano()), unix.NsecToTimespec(m.mtime.UnixNano())}
		_ = unix.UtimesNanoAt(unix.AT_FDCWD, hp, ts, unix.AT_SYMLINK_NOFOLLOW)
	}
	return nil
}
