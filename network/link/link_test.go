package link

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

func TestGenerateMAC(t *testing.T) {
	got := GenerateMAC(netip.MustParseAddr("10.89.1.7")).String()
	if got != "02:42:0a:59:01:07" {
		t.Errorf("v4 MAC = %s, want docker's 02:42:0a:59:01:07", got)
	}
	if got := GenerateMAC(netip.MustParseAddr("::ffff:10.89.1.7")).String(); got != "02:42:0a:59:01:07" {
		t.Errorf("v4-mapped MAC = %s", got)
	}
	a, b := GenerateMAC(netip.MustParseAddr("fd00::2")), GenerateMAC(netip.MustParseAddr("fd00::2"))
	if len(a) != 6 || a[0]&0x01 != 0 || a[0]&0x02 == 0 {
		t.Errorf("v6 MAC %s is not a locally administered unicast MAC", a)
	}
	if a.String() == b.String() {
		t.Errorf("two v6 MACs are both %s; want random", a)
	}
}

func TestValidName(t *testing.T) {
	for _, n := range []string{"eth0", "onggi0", "br-0123456789ab", "veth1234567"} {
		if err := validName(n); err != nil {
			t.Errorf("validName(%q) = %v", n, err)
		}
	}
	for _, n := range []string{"", ".", "..", "a/b", "a b", "0123456789abcdef"} {
		if err := validName(n); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("validName(%q) = %v, want ErrInvalid", n, err)
		}
	}
}
