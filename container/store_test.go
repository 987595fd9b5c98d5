package container

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onggi/onggi/errdefs"
	"golang.org/x/sys/unix"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "containers"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustCreate(t *testing.T, s *Store, name string) *Container {
	t.Helper()
	c := &Container{Name: name, Image: "busybox"}
	if err := s.Create(c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCreateGet(t *testing.T) {
	s := newStore(t)
	c := mustCreate(t, s, "/web")
	if !isFullID(c.ID) || c.Name != "web" || c.Created.IsZero() || c.State.Status != "created" {
		t.Fatalf("created %+v", c)
	}
	for _, ref := range []string{c.ID, "web", "/web", c.ID[:12], c.ID[:1]} {
		got, err := s.Get(ref)
		if err != nil || got.ID != c.ID || got.Image != "busybox" {
			t.Errorf("Get(%q) = %v, %v", ref, got, err)
		}
	}
	for _, ref := range []string{"nope", "", "../x", c.ID + "0", "abc/def"} {
		_, err := s.Get(ref)
		if !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "No such container: "+ref {
			t.Errorf("Get(%q) = %v", ref, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(s.Dir(c.ID), "container.json")); err != nil || !fi.Mode().IsRegular() {
		t.Fatal(err)
	}
}

func TestRandomName(t *testing.T) {
	s := newStore(t)
	seen := map[string]bool{}
	for i := 0; i < 30; i++ {
		c := mustCreate(t, s, "")
		if !validName(c.Name) || !strings.Contains(c.Name, "_") || seen[c.Name] {
			t.Fatalf("random name %q", c.Name)
		}
		seen[c.Name] = true
		if got, err := s.Get(c.Name); err != nil || got.ID != c.ID {
			t.Fatal(got, err)
		}
	}
}

func TestNames(t *testing.T) {
	s := newStore(t)
	for _, bad := range []string{"a", "-x", "_x", "x y", "x/y", "//x", "x:y", "é1"} {
		err := s.Create(&Container{Name: bad})
		want := "Invalid container name (" + bad + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
		if !errors.Is(err, errdefs.ErrInvalid) || err.Error() != want {
			t.Errorf("name %q: %v", bad, err)
		}
	}
	for _, good := range []string{"ab", "A1", "x.y-z_1", "/0x"} {
		if err := s.Create(&Container{Name: good}); err != nil {
			t.Errorf("name %q: %v", good, err)
		}
	}
	c, _ := s.Get("ab")
	err := s.Create(&Container{Name: "/ab"})
	want := `Conflict. The container name "/ab" is already in use by container "` + c.ID +
		`". You have to remove (or rename) that container to be able to reuse that name.`
	if !errors.Is(err, errdefs.ErrExists) || err.Error() != want {
		t.Fatalf("duplicate: %v", err)
	}
	if err := s.Create(&Container{ID: "xyz"}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad id: %v", err)
	}
	if err := s.Create(&Container{ID: c.ID, Name: "other"}); !errors.Is(err, errdefs.ErrExists) {
		t.Fatalf("duplicate id: %v", err)
	}
	if _, err := s.Get("other"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("a failed create must free its name: %v", err)
	}
}

func TestAmbiguousPrefix(t *testing.T) {
	s := newStore(t)
	a := strings.Repeat("a", 63)
	mustCreateID(t, s, a+"1")
	mustCreateID(t, s, a+"2")
	_, err := s.Get("aaaa")
	if !errors.Is(err, errdefs.ErrInvalid) || err.Error() != "Multiple IDs found with provided prefix: aaaa" {
		t.Fatal(err)
	}
	if c, err := s.Get(a + "2"); err != nil || c.ID != a+"2" {
		t.Fatal(err)
	}
}

func mustCreateID(t *testing.T, s *Store, id string) {
	t.Helper()
	if err := s.Create(&Container{ID: id}); err != nil {
		t.Fatal(err)
	}
}

func TestListNewestFirst(t *testing.T) {
	s := newStore(t)
	base := time.Now().UTC()
	for i, name := range []string{"c1", "c3", "c2"} {
		n := map[string]int{"c1": 1, "c2": 2, "c3": 3}[name]
		if err := s.Create(&Container{Name: name, Created: base.Add(time.Duration(n) * time.Second)}); err != nil {
			t.Fatal(i, err)
		}
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range list {
		got = append(got, c.Name)
	}
	if strings.Join(got, ",") != "c3,c2,c1" {
		t.Fatal(got)
	}
}

func TestUpdate(t *testing.T) {
	s := newStore(t)
	c := mustCreate(t, s, "u1")
	got, err := s.Update("u1", func(c *Container) error {
		return Transition(&c.State, "running", Change{Pid: 7})
	})
	if err != nil || got.State.Pid != 7 {
		t.Fatal(got, err)
	}
	if again, _ := s.Get(c.ID); again.State.Status != "running" || again.State.Pid != 7 {
		t.Fatalf("not persisted: %+v", again.State)
	}
	boom := errors.New("boom")
	if _, err := s.Update(c.ID, func(c *Container) error { c.Image = "x"; return boom }); err != boom {
		t.Fatal(err)
	}
	if again, _ := s.Get(c.ID); again.Image != "busybox" {
		t.Fatal("a failed update was written")
	}
	if _, err := s.Update(c.ID, func(c *Container) error { c.Name = "zz"; return nil }); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatal(err)
	}
	if _, err := s.Update("gone", func(*Container) error { return nil }); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatal(err)
	}
}

// Lock must exclude Update's lock; checked with a non-blocking flock on
// the same file rather than by timing a blocked Update.
func TestLockExcludes(t *testing.T) {
	s := newStore(t)
	c := mustCreate(t, s, "l1")
	unlock, err := s.Lock("l1")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(s.Dir(c.ID), "lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); !errors.Is(err, unix.EWOULDBLOCK) {
		t.Fatalf("lock not held: %v", err)
	}
	unlock()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
}

func TestRename(t *testing.T) {
	s := newStore(t)
	a := mustCreate(t, s, "a1")
	b := mustCreate(t, s, "b1")
	if err := s.Rename(a.ID, "b1"); !errors.Is(err, errdefs.ErrExists) || !strings.Contains(err.Error(), b.ID) {
		t.Fatal(err)
	}
	if err := s.Rename("a1", "a1"); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatal(err)
	}
	if err := s.Rename("a1", "bad name"); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatal(err)
	}
	if err := s.Rename("a1", "/c1"); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Get("c1"); err != nil || c.ID != a.ID || c.Name != "c1" {
		t.Fatal(c, err)
	}
	if _, err := s.Get("a1"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatal("old name still resolves", err)
	}
	mustCreate(t, s, "a1") // the old name is free again
}

func TestRemove(t *testing.T) {
	s := newStore(t)
	c := mustCreate(t, s, "r1")
	os.WriteFile(filepath.Join(s.Dir(c.ID), c.ID+"-json.log"), []byte("{}\n"), 0o600)
	if err := s.Remove("r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir(c.ID)); !os.IsNotExist(err) {
		t.Fatal("dir left", err)
	}
	if _, err := os.Stat(s.namePath("r1")); !os.IsNotExist(err) {
		t.Fatal("name left", err)
	}
	if err := s.Remove(c.ID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := s.Lock(c.ID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(s.dir); len(entries) != 1 {
		t.Fatalf("leftovers: %v", entries)
	}
}

// A create killed midway leaves a .tmp- directory (maybe with a partial
// record) and a name file whose record never appeared; neither may break
// List or Get, and the name must be reusable.
func TestPartialCreateLeftovers(t *testing.T) {
	s := newStore(t)
	ok := mustCreate(t, s, "fine")
	ghost := generateID()
	tmp := filepath.Join(s.dir, ".tmp-"+ghost[:12]+"-123")
	os.Mkdir(tmp, 0o700)
	os.WriteFile(filepath.Join(tmp, "container.json"), []byte(`{"ID":"`+ghost), 0o600)
	os.WriteFile(s.namePath("ghost"), []byte(ghost), 0o600)
	// An empty name file: power loss after link, before the data hit disk.
	os.WriteFile(s.namePath("empty"), nil, 0o600)
	// A record dir that is not a record at all must be skipped by List.
	junk := generateID()
	os.Mkdir(s.Dir(junk), 0o700)
	os.WriteFile(filepath.Join(s.Dir(junk), "container.json"), []byte("{garbage"), 0o600)

	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].ID != ok.ID {
		t.Fatalf("List = %v, %v", list, err)
	}
	if _, err := s.Get("ghost"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatal(err)
	}
	g := mustCreate(t, s, "ghost")
	mustCreate(t, s, "empty")
	if c, err := s.Get("ghost"); err != nil || c.ID != g.ID {
		t.Fatal(c, err)
	}
	// Old leftovers are swept by List.
	old := time.Now().Add(-time.Hour)
	os.Chtimes(tmp, old, old)
	s.List()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatal("old .tmp- dir not swept", err)
	}
}

// A rename killed after reserving the new name leaves that name pointing
// at a record with another name: the name is free.
func TestStaleNameAfterRenameCrash(t *testing.T) {
	s := newStore(t)
	c := mustCreate(t, s, "real")
	os.WriteFile(s.namePath("half"), []byte(c.ID), 0o600)
	if _, err := s.Get("half"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatal(err)
	}
	mustCreate(t, s, "half")
}
