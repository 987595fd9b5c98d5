package volume

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "volumes"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustCreate(t *testing.T, s *Store, o CreateOptions) *Volume {
	t.Helper()
	v, err := s.Create(o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCreateGetListRemove(t *testing.T) {
	s := newStore(t)
	v := mustCreate(t, s, CreateOptions{Name: "data", Labels: map[string]string{"a": "b"}})
	if v.Driver != "local" || v.Scope != "local" || v.Anonymous || v.CreatedAt.IsZero() ||
		v.Mountpoint != filepath.Join(s.dir, "data", "_data") {
		t.Fatalf("%+v", v)
	}
	fi, err := os.Stat(v.Mountpoint)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o755 {
		t.Fatalf("_data: %v %v", fi, err)
	}
	got, err := s.Get("data")
	if err != nil || !reflect.DeepEqual(got, v) {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, v)
	}
	mustCreate(t, s, CreateOptions{Name: "b0"})
	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].Name != "b0" || list[1].Name != "data" {
		t.Fatalf("List = %v, %v", list, err)
	}
	os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("x"), 0o644)
	unlock, err := s.Lock("data")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("data"); err != nil {
		t.Fatal(err)
	}
	unlock()
	if _, err := os.Stat(filepath.Join(s.dir, "data")); !os.IsNotExist(err) {
		t.Fatal("dir left", err)
	}
	for _, err := range []error{s.Remove("data"), func() error { _, err := s.Get("data"); return err }()} {
		if !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "no such volume: data" {
			t.Fatalf("after remove: %v", err)
		}
	}
	// The name is free again, with a working lock.
	mustCreate(t, s, CreateOptions{Name: "data"})
}

func TestCreateExisting(t *testing.T) {
	s := newStore(t)
	v1 := mustCreate(t, s, CreateOptions{Name: "v1", Labels: map[string]string{"k": "1"}})
	v2 := mustCreate(t, s, CreateOptions{Name: "v1", Driver: "local", Labels: map[string]string{"k": "2"}})
	if !reflect.DeepEqual(v1, v2) {
		t.Fatalf("existing volume changed: %+v vs %+v", v1, v2)
	}
}

func TestAnonymous(t *testing.T) {
	s := newStore(t)
	v := mustCreate(t, s, CreateOptions{})
	if len(v.Name) != 64 || !v.Anonymous {
		t.Fatalf("%+v", v)
	}
	got, _ := s.Get(v.Name)
	if _, ok := got.Labels[AnonymousLabel]; !ok || !got.Anonymous {
		t.Fatalf("anonymous not persisted: %+v", got)
	}
	named := mustCreate(t, s, CreateOptions{Name: "n1", Anonymous: true})
	if got, _ := s.Get(named.Name); !got.Anonymous {
		t.Fatal("explicit anonymous lost")
	}
	if got, _ := s.Get(mustCreate(t, s, CreateOptions{Name: "n2"}).Name); got.Anonymous || got.Labels != nil {
		t.Fatalf("named volume: %+v", got)
	}
}

func TestInvalid(t *testing.T) {
	s := newStore(t)
	for _, tc := range []struct {
		o    CreateOptions
		want string
	}{
		{CreateOptions{Name: "a"}, "create a: volume name is too short, names should be at least two alphanumeric characters"},
		{CreateOptions{Name: "../x"}, `create ../x: "../x" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`},
		{CreateOptions{Name: "/abs"}, "includes invalid characters"},
		{CreateOptions{Name: ".hidden"}, "includes invalid characters"},
		{CreateOptions{Name: "x", Driver: "nfs"}, `plugin "nfs" not found`},
		{CreateOptions{Name: "ok", Driver: "other"}, `plugin "other" not found`},
		{CreateOptions{Name: "ok", Options: map[string]string{"size": "1g"}}, `invalid option: "size"`},
		{CreateOptions{Name: "ok", Options: map[string]string{"type": "tmpfs"}}, `missing required option: "device"`},
		{CreateOptions{Name: "ok", Options: map[string]string{"device": "tmpfs"}}, `missing required option: "type"`},
		{CreateOptions{Name: "ok", Options: map[string]string{"o": "bind", "device": "/tmp"}}, `missing required option: "type"`},
		{CreateOptions{Name: "ok", Options: map[string]string{"type": "none", "device": "/tmp"}}, "type=none needs o=bind"},
		{CreateOptions{Name: "ok", Options: map[string]string{"type": "ext4", "device": "/tmp", "o": "bind"}}, "o=bind needs type=none"},
		{CreateOptions{Name: "ok", Options: map[string]string{"type": "none", "device": "/nonexistent/x", "o": "bind"}}, "invalid mount device"},
		{CreateOptions{Name: "ok", Options: map[string]string{"type": "none", "device": "rel", "o": "bind"}}, "not an absolute path"},
	} {
		_, err := s.Create(tc.o)
		if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v", tc.o, err)
		}
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Fatalf("invalid creates left volumes: %v", list)
	}
}

func TestMount(t *testing.T) {
	s := newStore(t)
	host := t.TempDir()
	for _, tc := range []struct {
		opts map[string]string
		want Mount
	}{
		{nil, Mount{Type: "bind", Source: filepath.Join(s.dir, "v0", "_data"), Options: []string{"rbind"}}},
		{map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=10m,uid=1000,mode=0700"},
			Mount{Type: "tmpfs", Source: "tmpfs", Options: []string{"size=10m", "uid=1000", "mode=0700"}}},
		{map[string]string{"type": "none", "device": host, "o": "bind"},
			Mount{Type: "bind", Source: host, Options: []string{"bind"}}},
		{map[string]string{"type": "ext4", "device": "/dev/sdz1", "o": "ro,noatime"},
			Mount{Type: "ext4", Source: "/dev/sdz1", Options: []string{"ro", "noatime"}}},
		{map[string]string{"type": "nfs", "device": ":/export", "o": "addr=10.0.0.1"},
			Mount{Type: "nfs", Source: ":/export", Options: []string{"addr=10.0.0.1"}}},
	} {
		name := "v" + string(rune('0'+len(tc.opts)))
		v := mustCreate(t, s, CreateOptions{Name: name, Options: tc.opts})
		if tc.opts == nil {
			tc.want.Source = v.Mountpoint
		}
		got, err := s.Mount(v)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: Mount = %+v, %v; want %+v", tc.opts, got, err, tc.want)
		}
		unlock, err := s.Lock(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Remove(name); err != nil {
			t.Fatal(err)
		}
		unlock()
	}
}

func TestSize(t *testing.T) {
	s := newStore(t)
	v := mustCreate(t, s, CreateOptions{Name: "sz"})
	os.WriteFile(filepath.Join(v.Mountpoint, "a"), make([]byte, 1000), 0o644)
	os.Mkdir(filepath.Join(v.Mountpoint, "d"), 0o755)
	os.WriteFile(filepath.Join(v.Mountpoint, "d", "b"), make([]byte, 24), 0o644)
	os.Link(filepath.Join(v.Mountpoint, "a"), filepath.Join(v.Mountpoint, "d", "hard"))
	os.Symlink("a", filepath.Join(v.Mountpoint, "l"))
	n, err := s.Size(v)
	if err != nil || n != 1000+24+1 {
		t.Fatalf("Size = %d, %v", n, err)
	}
}

// Concurrent creates of one name all return the one volume that won.
func TestConcurrentCreate(t *testing.T) {
	s := newStore(t)
	var wg sync.WaitGroup
	got := make([]*Volume, 20)
	errs := make([]error, 20)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = s.Create(CreateOptions{Name: "same", Labels: map[string]string{"i": string(rune('a' + i))}})
		}()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || !reflect.DeepEqual(got[i], got[0]) {
			t.Fatalf("create %d: %+v %v (first %+v)", i, got[i], errs[i], got[0])
		}
	}
	if list, _ := s.List(); len(list) != 1 {
		t.Fatal(list)
	}
}

// A remove killed midway or a create killed before its rename leave dot
// directories that List ignores.
func TestLeftoversIgnored(t *testing.T) {
	s := newStore(t)
	mustCreate(t, s, CreateOptions{Name: "keep"})
	os.MkdirAll(filepath.Join(s.dir, ".tmp-123", "_data"), 0o755)
	os.MkdirAll(filepath.Join(s.dir, ".removing-abc", "_data"), 0o755)
	os.Mkdir(filepath.Join(s.dir, "nometa"), 0o755)
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].Name != "keep" {
		t.Fatal(list, err)
	}
}
