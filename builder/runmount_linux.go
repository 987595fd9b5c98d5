package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/runtime/driver"
	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// extraMount is a RUN --mount as a spec mount, and for a secret with
// env= the variable it sets.
type extraMount struct {
	m   specs.Mount
	env string
}

func specMounts(in []extraMount) []specs.Mount {
	out := make([]specs.Mount, 0, len(in))
	for _, e := range in {
		if e.m.Destination != "" {
			out = append(out, e.m)
		}
	}
	return out
}

// runMounts resolves a RUN's --mount flags (and a heredoc script) into
// mounts. release undoes what they needed on the host (stage views,
// cache locks); it is always safe to call.
func (bd *build) runMounts(ctx context.Context, rs runSpec, bundle string) ([]extraMount, func(), error) {
	var undo []func()
	release := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	var out []extraMount
	if rs.script != nil {
		dir := filepath.Join(bundle, "pipes")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, release, err
		}
		if err := os.WriteFile(filepath.Join(dir, path.Base(rs.script.Name)), []byte(rs.script.Data), 0o755); err != nil {
			return nil, release, err
		}
		out = append(out, extraMount{m: bindMount(dir, "/dev/pipes", true)})
	}
	for i, m := range rs.mounts {
		em, u, err := bd.runMount(ctx, rs, m, bundle, i)
		if u != nil {
			undo = append(undo, u)
		}
		if err != nil {
			return nil, release, err
		}
		out = append(out, em)
	}
	return out, release, nil
}

func bindMount(src, dst string, ro bool) specs.Mount {
	opts := []string{"rbind", "rprivate", "nosuid", "nodev"}
	if ro {
		opts = append(opts, "ro")
	}
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opts}
}

func (bd *build) runMount(ctx context.Context, rs runSpec, m *instructions.Mount, bundle string, i int) (extraMount, func(), error) {
	target := m.Target
	if target != "" && !path.IsAbs(target) {
		target = path.Join(workdirPath(rs.workdir, "."), target)
	}
	switch m.Type {
	case instructions.MountTypeCache:
		return bd.cacheMount(m, target)
	case instructions.MountTypeTmpfs:
		if target == "" {
			return extraMount{}, nil, fmt.Errorf("%w: tmpfs mount needs a target", errdefs.ErrInvalid)
		}
		opts := []string{"nosuid", "nodev"}
		if m.SizeLimit > 0 {
			opts = append(opts, "size="+strconv.FormatInt(m.SizeLimit, 10))
		}
		return extraMount{m: specs.Mount{Destination: target, Type: "tmpfs", Source: "tmpfs", Options: opts}}, nil, nil
	case instructions.MountTypeSecret:
		return bd.secretMount(m, target, bundle, i)
	case instructions.MountTypeBind:
		return bd.bindFrom(ctx, rs, m, target, bundle, i)
	}
	return extraMount{}, nil, fmt.Errorf("%w: mount type %q is not supported", errdefs.ErrInvalid, m.Type)
}

// cacheMount is a persistent directory under <root>/builder/cache-mounts,
// one per id (default: the target), kept across builds; `builder prune`
// empties them. sharing=locked and private serialise users with a lock.
func (bd *build) cacheMount(m *instructions.Mount, target string) (extraMount, func(), error) {
	if target == "" {
		return extraMount{}, nil, fmt.Errorf("%w: cache mount needs a target", errdefs.ErrInvalid)
	}
	id := m.CacheID
	if id == "" {
		id = target
	}
	dir := filepath.Join(bd.b.root, "cache-mounts", digest.FromString(id).Encoded()[:32])
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return extraMount{}, nil, err
	}
	if err := os.Mkdir(dir, 0o755); err == nil {
		mode := os.FileMode(0o755)
		if m.Mode != nil {
			mode = os.FileMode(*m.Mode)
		}
		uid, gid := 0, 0
		if m.UID != nil {
			uid = int(*m.UID)
		}
		if m.GID != nil {
			gid = int(*m.GID)
		}
		// Mkdir's mode is masked by the umask; an explicit chmod is not.
		if err := errors.Join(os.Chmod(dir, mode), os.Lchown(dir, uid, gid)); err != nil {
			os.Remove(dir)
			return extraMount{}, nil, fmt.Errorf("cache mount %s: %w", id, err)
		}
	} else if !os.IsExist(err) {
		return extraMount{}, nil, fmt.Errorf("cache mount %s: %w", id, err)
	}
	var undo func()
	if m.CacheSharing == instructions.MountSharingLocked || m.CacheSharing == instructions.MountSharingPrivate {
		f, err := os.Open(dir)
		if err != nil {
			return extraMount{}, nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			return extraMount{}, nil, fmt.Errorf("locking cache mount %s: %w", id, err)
		}
		undo = func() { f.Close() }
	}
	return extraMount{m: bindMount(dir, target, m.ReadOnly)}, undo, nil
}

// secretMount copies the --secret file into the bundle with the mount's
// mode and owner and binds it read-only: the rootfs never holds it, so no
// layer can.
func (bd *build) secretMount(m *instructions.Mount, target, bundle string, i int) (extraMount, func(), error) {
	id := m.CacheID
	if id == "" {
		id = path.Base(target)
	}
	if target == "" {
		target = "/run/secrets/" + id
	}
	src, ok := bd.o.Secrets[id]
	if !ok {
		if m.Required {
			return extraMount{}, nil, fmt.Errorf("%w: secret %s: not found", errdefs.ErrNotFound, id)
		}
		return extraMount{}, nil, nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return extraMount{}, nil, fmt.Errorf("secret %s: %w", id, err)
	}
	var em extraMount
	if m.Env != nil {
		em.env = *m.Env + "=" + string(data)
		if m.Target == "" {
			return em, nil, nil // env only
		}
	}
	mode := os.FileMode(0o400)
	if m.Mode != nil {
		mode = os.FileMode(*m.Mode)
	}
	p := filepath.Join(bundle, "secret-"+strconv.Itoa(i))
	if err := os.WriteFile(p, data, mode); err != nil {
		return extraMount{}, nil, err
	}
	if err := os.Chmod(p, mode); err != nil { // WriteFile's mode is masked by the umask
		return extraMount{}, nil, err
	}
	uid, gid := 0, 0
	if m.UID != nil {
		uid = int(*m.UID)
	}
	if m.GID != nil {
		gid = int(*m.GID)
	}
	if err := os.Chown(p, uid, gid); err != nil {
		return extraMount{}, nil, err
	}
	em.m = bindMount(p, target, true)
	return em, func() { os.Remove(p) }, nil
}

// bindFrom binds a path of the context or of a stage/image (mounted as a
// read-only view for the step). A writable bind gets an overlay whose
// writes are thrown away, as BuildKit does.
func (bd *build) bindFrom(ctx context.Context, rs runSpec, m *instructions.Mount, target, bundle string, i int) (extraMount, func(), error) {
	if target == "" {
		return extraMount{}, nil, fmt.Errorf("%w: bind mount needs a target", errdefs.ErrInvalid)
	}
	root := rs.context.Root
	var undo func()
	if m.From != "" {
		st, err := rs.stageFor(m.From)
		if err != nil {
			return extraMount{}, nil, err
		}
		dir := filepath.Join(bundle, "from-"+strconv.Itoa(i))
		if undo, err = bd.view(ctx, st, dir); err != nil {
			return extraMount{}, nil, err
		}
		root = dir
	}
	if root == "" {
		return extraMount{}, undo, fmt.Errorf("%w: no build context to bind from", errdefs.ErrInvalid)
	}
	src, err := securejoin.SecureJoin(root, m.Source)
	if err != nil {
		return extraMount{}, undo, err
	}
	if _, err := os.Stat(src); err != nil {
		return extraMount{}, undo, fmt.Errorf("%w: bind mount source %q: not found", errdefs.ErrNotFound, m.Source)
	}
	if m.ReadOnly || !isDir(src) {
		return extraMount{m: bindMount(src, target, m.ReadOnly)}, undo, nil
	}
	upper, work := filepath.Join(bundle, "bind-"+strconv.Itoa(i), "upper"), filepath.Join(bundle, "bind-"+strconv.Itoa(i), "work")
	for _, d := range []string{upper, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return extraMount{}, undo, err
		}
	}
	if strings.ContainsAny(src, ",:") {
		return extraMount{}, undo, fmt.Errorf("%w: bind mount source %q cannot be made writable", errdefs.ErrInvalid, m.Source)
	}
	opts := []string{"lowerdir=" + src, "upperdir=" + upper, "workdir=" + work}
	return extraMount{m: specs.Mount{Destination: target, Type: "overlay", Source: "overlay", Options: opts}}, undo, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// view mounts a read-only snapshot of st at dir; the returned function
// unmounts and removes it.
func (bd *build) view(ctx context.Context, st *state, dir string) (func(), error) {
	if len(st.diffIDs()) == 0 {
		// scratch: an empty directory is its view.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		return func() { os.Remove(dir) }, nil
	}
	if err := bd.unpack(ctx, st); err != nil {
		return nil, err
	}
	key := "build-view-" + bd.id + "-" + filepath.Base(filepath.Dir(dir)) + "-" + filepath.Base(dir)
	sms, err := bd.b.store.Snapshots().View(ctx, key, st.diffIDs())
	if err != nil {
		return nil, err
	}
	rm := func() { _ = bd.b.store.Snapshots().Remove(context.WithoutCancel(ctx), key) }
	if err := os.MkdirAll(dir, 0o755); err != nil {
		rm()
		return nil, err
	}
	if err := driver.MountRootfs(dir, driverMounts(sms)); err != nil {
		rm()
		return nil, err
	}
	return func() {
		if driver.UnmountRootfs(dir) == nil {
			os.Remove(dir)
		}
		rm()
	}, nil
}
