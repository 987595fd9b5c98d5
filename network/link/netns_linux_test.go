package link

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/onggi/onggi/errdefs"
)

func TestNetNSLifecycle(t *testing.T) {
	requireRoot(t)
	path := filepath.Join(t.TempDir(), "ns")
	if err := NewNetNS(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { DeleteNetNS(path) })
	if err := NewNetNS(path); !errors.Is(err, errdefs.ErrExists) {
		t.Errorf("NewNetNS on an existing path = %v, want ErrExists", err)
	}

	ns, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	self, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	if ns.Equal(self) {
		t.Fatal("the new netns is the test's own")
	}
	self.Close()
	ns.Close()

	lo, err := handle(t, path).LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if lo.Attrs().Flags&net.FlagUp == 0 {
		t.Error("lo is down in the new netns")
	}

	if err := DeleteNetNS(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("netns file still there after DeleteNetNS: %v", err)
	}
	if err := DeleteNetNS(path); err != nil {
		t.Errorf("DeleteNetNS of a missing netns = %v, want nil", err)
	}
}

func TestSetSysctlInNetNS(t *testing.T) {
	requireRoot(t)
	host, ctr := testNetNS(t), testNetNS(t)
	// A new netns inherits IPv4 settings from the host's, so flip the
	// inherited value and check the other netns keeps it.
	before := readSysctlIn(t, host, "net.ipv4.ip_forward")
	want := map[string]string{"0": "1", "1": "0"}[before]
	if err := SetSysctlInNetNS(ctr, "net.ipv4.ip_forward", want); err != nil {
		t.Fatal(err)
	}
	if got := readSysctlIn(t, ctr, "net.ipv4.ip_forward"); got != want {
		t.Errorf("ip_forward in the netns = %s, want %s", got, want)
	}
	if got := readSysctlIn(t, host, "net.ipv4.ip_forward"); got != before {
		t.Errorf("ip_forward leaked into another netns: %s, was %s", got, before)
	}
	for _, key := range []string{"kernel.hostname", "net/../kernel/hostname", "net..x"} {
		if err := SetSysctlInNetNS(ctr, key, "x"); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("SetSysctlInNetNS(%q) = %v, want ErrInvalid", key, err)
		}
	}
}

func TestEnableForwarding(t *testing.T) {
	requireRoot(t)
	host := testNetNS(t)
	in(t, host, func() error { return writeSysctl("net.ipv4.ip_forward", "0") })
	for range 2 { // the second call finds both already on
		in(t, host, func() error { return EnableForwarding(true) })
	}
	for _, key := range []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"} {
		if got := readSysctlIn(t, host, key); got != "1" {
			t.Errorf("%s = %s, want 1", key, got)
		}
	}
}
