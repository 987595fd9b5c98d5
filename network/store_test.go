package network

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustCreate(t *testing.T, s *Store, name string) *Network {
	t.Helper()
	n := &Network{Name: name, Driver: DriverBridge}
	if err := s.Create(n); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return n
}

func TestCreateGetListRemove(t *testing.T) {
	s := openStore(t)
	n := &Network{
		Name: "web", Driver: DriverBridge, Internal: true, EnableIPv6: true, MTU: 1400,
		Subnets: []Subnet{
			{Prefix: netip.MustParsePrefix("10.89.3.0/24"), Gateway: netip.MustParseAddr("10.89.3.1"),
				IPRange: netip.MustParsePrefix("10.89.3.128/25")},
			{Prefix: netip.MustParsePrefix("fd00:1::/64"), Gateway: netip.MustParseAddr("fd00:1::1")},
		},
		Labels: map[string]string{"a": "b"},
	}
	if err := s.Create(n); err != nil {
		t.Fatal(err)
	}
	if len(n.ID) != 64 || n.Created.IsZero() {
		t.Fatalf("id %q created %v", n.ID, n.Created)
	}
	n.Bridge = UserBridgeName(n.ID)
	if _, err := s.Update(n.ID, func(m *Network) error { m.Bridge = n.Bridge; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"web", n.ID, n.ID[:12], n.ID[:3]} {
		got, err := s.Get(ref)
		if err != nil {
			t.Fatalf("Get(%q): %v", ref, err)
		}
		if got.ID != n.ID || got.Bridge != "br-"+n.ID[:12] || !got.Subnets[0].IPRange.IsValid() ||
			got.Subnets[1].IPRange.IsValid() || got.MTU != 1400 || !got.Internal || got.Labels["a"] != "b" {
			t.Fatalf("Get(%q) = %+v", ref, got)
		}
	}
	if err := s.Create(&Network{Name: "web"}); !errors.Is(err, errdefs.ErrExists) ||
		err.Error() != "network with name web already exists" {
		t.Fatalf("duplicate: %v", err)
	}
	mustCreate(t, s, "app")
	all, err := s.List()
	if err != nil || len(all) != 2 || all[0].Name != "app" || all[1].Name != "web" {
		t.Fatalf("List = %v, %v", all, err)
	}
	if err := s.Remove("web"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("web"); !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "network web not found" {
		t.Fatalf("after remove: %v", err)
	}
	if err := s.Remove("web"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
}

func TestNames(t *testing.T) {
	s := openStore(t)
	for _, name := range []string{"", " ", "-x", ".x", "a/b", "a b", "a:b"} {
		if err := s.Create(&Network{Name: name}); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("name %q: %v", name, err)
		}
	}
	for _, name := range []string{"bridge", "host", "none", "default"} {
		if err := s.Create(&Network{Name: name}); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("reserved %q: %v", name, err)
		}
	}
	for _, name := range []string{"a", "A.b_c-1", "9"} {
		mustCreate(t, s, name)
	}
}

// TestNameBeforePrefix: a name that is also a prefix of another network's
// id resolves to the named network, as in docker.
func TestNameBeforePrefix(t *testing.T) {
	s := openStore(t)
	a := mustCreate(t, s, "first")
	b := mustCreate(t, s, a.ID[:4])
	got, err := s.Get(a.ID[:4])
	if err != nil || got.ID != b.ID {
		t.Fatalf("Get(%q) = %v, %v; want the network named so", a.ID[:4], got, err)
	}
}

func TestAmbiguousPrefix(t *testing.T) {
	s := openStore(t)
	// 17 ids over 16 first hex digits: two share one (pigeonhole).
	byFirst := map[byte]int{}
	var amb byte
	for i := range 17 {
		n := mustCreate(t, s, fmt.Sprint("n", i))
		byFirst[n.ID[0]]++
		if byFirst[n.ID[0]] == 2 {
			amb = n.ID[0]
		}
	}
	_, err := s.Get(string(amb))
	if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), "is ambiguous") {
		t.Fatalf("ambiguous prefix: %v", err)
	}
}

func TestParallelCreateOneName(t *testing.T) {
	s := openStore(t)
	var ok, exists atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := s.Create(&Network{Name: "same", Driver: DriverBridge})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, errdefs.ErrExists):
				exists.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	all, _ := s.List()
	if ok.Load() != 1 || exists.Load() != 19 || len(all) != 1 {
		t.Fatalf("ok=%d exists=%d stored=%d", ok.Load(), exists.Load(), len(all))
	}
}

func pick(p string, calls *atomic.Int32) func() (netip.Prefix, error) {
	return func() (netip.Prefix, error) {
		calls.Add(1)
		return netip.MustParsePrefix(p), nil
	}
}

func TestEnsurePredefined(t *testing.T) {
	s := openStore(t)
	var calls atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if err := s.EnsurePredefined("abc123", pick("10.89.0.0/24", &calls)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := s.EnsurePredefined("abc123", pick("10.89.7.0/24", &calls)); err != nil {
		t.Fatal(err)
	}
	all, err := s.List()
	if err != nil || len(all) != 3 || calls.Load() != 1 {
		t.Fatalf("List = %v, %v; pick called %d times", all, err, calls.Load())
	}
	names := []string{all[0].Name, all[1].Name, all[2].Name}
	if !slices.Equal(names, []string{"bridge", "host", "none"}) {
		t.Fatalf("names %v", names)
	}
	br := all[0]
	if br.Driver != DriverBridge || br.Bridge != "ogabc1230" || !br.Predefined ||
		br.Subnets[0].Prefix.String() != "10.89.0.0/24" || br.Subnets[0].Gateway.String() != "10.89.0.1" ||
		br.Options[OptBridgeName] != "ogabc1230" || br.Options[OptDefaultBridge] != "true" {
		t.Fatalf("bridge = %+v", br)
	}
	if all[1].Driver != DriverHost || all[2].Driver != DriverNull {
		t.Fatalf("drivers %s %s", all[1].Driver, all[2].Driver)
	}
	for _, n := range all {
		err := s.Remove(n.Name)
		if !errors.Is(err, errdefs.ErrConflict) || err.Error() != n.Name+" is a pre-defined network and cannot be removed" {
			t.Fatalf("remove %s: %v", n.Name, err)
		}
	}
}

func TestEnsurePredefinedPickError(t *testing.T) {
	s := openStore(t)
	boom := errors.New("boom")
	err := s.EnsurePredefined("", func() (netip.Prefix, error) { return netip.Prefix{}, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Get("bridge"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("bridge created despite pick failure: %v", err)
	}
	var calls atomic.Int32
	if err := s.EnsurePredefined("", pick("10.89.1.0/24", &calls)); err != nil {
		t.Fatal(err)
	}
	if br, _ := s.Get("bridge"); br.Bridge != "onggi0" {
		t.Fatalf("bridge interface %q", br.Bridge)
	}
}

func TestLockExcludes(t *testing.T) {
	s := openStore(t)
	n := mustCreate(t, s, "locked")
	unlock, err := s.Lock(n.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		u, err := s.Lock(n.ID)
		if err != nil {
			t.Error(err)
		} else {
			u()
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("second Lock did not wait")
	default:
	}
	// Removing while holding the lock works and frees the waiter.
	if err := s.Remove(n.ID); err != nil {
		t.Fatal(err)
	}
	unlock()
	<-got
	if _, err := s.Lock("../x"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("bad id: %v", err)
	}
}

func TestListIgnoresStrays(t *testing.T) {
	s := openStore(t)
	mustCreate(t, s, "real")
	for _, f := range []string{".x.json.tmp123", "notes.txt", "ZZ.json"} {
		if err := os.WriteFile(filepath.Join(s.Dir(), f), []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.List()
	if err != nil || len(all) != 1 {
		t.Fatalf("List = %v, %v", all, err)
	}
}
