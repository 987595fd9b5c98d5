package cli

import (
	"net/netip"
	"reflect"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
)

func TestPortLines(t *testing.T) {
	ports := []ctypes.PortSummary{
		{IP: netip.MustParseAddr("::"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
		{IP: netip.MustParseAddr("0.0.0.0"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
		{IP: netip.MustParseAddr("127.0.0.1"), PrivatePort: 53, PublicPort: 5353, Type: "udp"},
		{PrivatePort: 9000, Type: "tcp"}, // exposed, not published
	}
	got, err := portLines(ports, "")
	want := []string{"53/udp -> 127.0.0.1:5353", "80/tcp -> [::]:8080", "80/tcp -> 0.0.0.0:8080"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("all: %q %v", got, err)
	}
	if got, err := portLines(ports, "53/udp"); err != nil || !reflect.DeepEqual(got, []string{"127.0.0.1:5353"}) {
		t.Errorf("53/udp: %q %v", got, err)
	}
	if _, err := portLines(ports, "9000"); err == nil {
		t.Error("unpublished port reported")
	}
	if _, err := portLines(ports, "http"); err == nil {
		t.Error("bad port accepted")
	}
}
