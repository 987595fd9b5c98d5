//go:build linux

package cgroups

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

func TestSystemdPath(t *testing.T) {
	for in, want := range map[string]string{
		"system.slice:docker:abc": "/system.slice/docker-abc.scope",
		":onggi:c1":               "/system.slice/onggi-c1.scope",
		"machine-a-b.slice:x:y":   "/machine.slice/machine-a.slice/machine-a-b.slice/x-y.scope",
		"-.slice:p:n":             "/p-n.scope",
		"user.slice::n":           "/user.slice/n.scope",
		"system.slice::sub.slice": "/system.slice/sub.slice",
		"a.slice::a-b.slice":      "/a.slice/a-b.slice",
	} {
		got, err := systemdPath(in)
		if err != nil || got != want {
			t.Errorf("systemdPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"a:b", "nodot:p:n", "x.slice:p:", "a--b.slice:p:n", "a/b.slice:p:n", "s.slice:p/q:n"} {
		if _, err := systemdPath(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("systemdPath(%q) err = %v; want ErrInvalid", bad, err)
		}
	}
}

func TestDetectMode(t *testing.T) {
	for name, tc := range map[string]struct {
		f    *fakeHost
		want Mode
	}{
		"legacy": {newFakeV1(t, false, true), Legacy},
		"hybrid": {newFakeV1(t, true, false), Hybrid},
		"v2":     {newFakeV2(t, "cpu"), Unified},
	} {
		got, err := DetectMode(tc.f.opts()...)
		if err != nil || got != tc.want {
			t.Errorf("%s: DetectMode = %v, %v; want %v", name, got, err, tc.want)
		}
	}
}

func TestV1PathsAbsoluteRelativeSystemd(t *testing.T) {
	f := newFakeV1(t, true, false)
	r := f.root
	cases := []struct {
		path    string
		systemd bool
		want    map[string]string
	}{
		{"/onggi/c1", false, map[string]string{
			"cpu": r + "/cpu,cpuacct/onggi/c1", "cpuacct": r + "/cpu,cpuacct/onggi/c1",
			"cpuset": r + "/cpuset/onggi/c1", "memory": r + "/memory/onggi/c1",
			"devices": r + "/devices/onggi/c1", "freezer": r + "/freezer/onggi/c1",
			"blkio": r + "/blkio/onggi/c1", "pids": r + "/pids/onggi/c1",
			"net_cls": r + "/net_cls,net_prio/onggi/c1", "net_prio": r + "/net_cls,net_prio/onggi/c1",
			"perf_event": r + "/perf_event/onggi/c1", "name=systemd": r + "/systemd/onggi/c1",
			"": r + "/unified/onggi/c1",
		}},
		// Relative: below the caller's own cgroup of each hierarchy
		// (testdata/cgroup.hybrid).
		{"box/c2", false, map[string]string{
			"cpu": r + "/cpu,cpuacct/user.slice/box/c2", "cpuacct": r + "/cpu,cpuacct/user.slice/box/c2",
			"cpuset": r + "/cpuset/box/c2", "memory": r + "/memory/user.slice/user-0.slice/session-3.scope/box/c2",
			"devices": r + "/devices/user.slice/box/c2", "freezer": r + "/freezer/box/c2",
			"blkio": r + "/blkio/user.slice/box/c2", "pids": r + "/pids/user.slice/user-0.slice/session-3.scope/box/c2",
			"net_cls": r + "/net_cls,net_prio/box/c2", "net_prio": r + "/net_cls,net_prio/box/c2",
			"perf_event": r + "/perf_event/box/c2", "name=systemd": r + "/systemd/user.slice/user-0.slice/session-3.scope/box/c2",
			"": r + "/unified/user.slice/user-0.slice/session-3.scope/box/c2",
		}},
	}
	for _, tc := range cases {
		m, err := New(tc.path, "c1", f.opts(WithSystemd(tc.systemd))...)
		if err != nil {
			t.Fatalf("New(%q): %v", tc.path, err)
		}
		if got := m.Paths(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("New(%q).Paths() =\n%v\nwant\n%v", tc.path, got, tc.want)
		}
	}
	m, err := New("system.slice:onggi:c3", "c3", f.opts(WithSystemd(true))...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Paths()["memory"], r+"/memory/system.slice/onggi-c3.scope"; got != want {
		t.Errorf("systemd memory path = %q; want %q", got, want)
	}
	m, err = New("", "c4", f.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Paths()["pids"], r+"/pids/onggi/c4"; got != want {
		t.Errorf("default pids path = %q; want %q", got, want)
	}
	if _, err := New("a:b:c", "c5", f.opts()...); !errors.Is(err, ErrInvalid) {
		t.Errorf("systemd syntax without WithSystemd: err = %v; want ErrInvalid", err)
	}
	// A relative path cannot climb out of the caller's cgroup.
	m, err = New("../../escape", "c6", f.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Paths()["memory"], r+"/memory/user.slice/user-0.slice/session-3.scope/escape"; got != want {
		t.Errorf("relative ../ path = %q; want %q", got, want)
	}
}

func TestV2Paths(t *testing.T) {
	f := newFakeV2(t, "cpu")
	for in, want := range map[string]string{
		"/onggi/c1": filepath.Join(f.root, "onggi/c1"),
		"sub/c1":    filepath.Join(f.root, "user.slice/session-1.scope/sub/c1"),
		"":          filepath.Join(f.root, "onggi/c9"),
	} {
		m, err := New(in, "c9", f.opts()...)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Paths(); !reflect.DeepEqual(got, map[string]string{"": want}) {
			t.Errorf("New(%q).Paths() = %v; want %q", in, got, want)
		}
	}
}

func TestPathsLoadRoundTrip(t *testing.T) {
	for name, f := range map[string]*fakeHost{"v1": newFakeV1(t, false, true), "hybrid": newFakeV1(t, true, false), "v2": newFakeV2(t, "pids")} {
		m, err := New("/onggi/rt", "rt", f.opts()...)
		if err != nil {
			t.Fatal(err)
		}
		l, err := Load(m.Paths(), f.opts()...)
		if err != nil {
			t.Fatalf("%s: Load: %v", name, err)
		}
		if !reflect.DeepEqual(l.Paths(), m.Paths()) || reflect.TypeOf(l) != reflect.TypeOf(m) {
			t.Errorf("%s: Load(Paths()) = %T %v; want %T %v", name, l, l.Paths(), m, m.Paths())
		}
	}
	if _, err := Load(map[string]string{"": "relative/dir"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Load(relative) err = %v; want ErrInvalid", err)
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/a\040b\134c\0`); got != `/a b\c\0` {
		t.Errorf("got %q", got)
	}
}
