package dns

import (
	"errors"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// inNS runs fn on a thread inside ns. The thread is never unlocked, so Go
// discards it afterwards instead of reusing a thread in a foreign netns.
func inNS(t *testing.T, ns netns.NsHandle, fn func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// newNS creates a network namespace that lives as long as its handle.
func newNS(t *testing.T) netns.NsHandle {
	t.Helper()
	hc := make(chan netns.NsHandle, 1)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := netns.New()
		hc <- h
		errc <- err
	}()
	h := <-hc
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func addAddrs(link netlink.Link, flags int, prefixes ...string) error {
	for _, p := range prefixes {
		a, err := netlink.ParseAddr(p)
		if err != nil {
			return err
		}
		a.Flags = flags
		if err := netlink.AddrAdd(link, a); err != nil {
			return err
		}
	}
	return netlink.LinkSetUp(link)
}

// TestResponderOnBridge runs the real thing in namespaces of its own: the
// responder on a bridge's gateway addresses, port 53, started while the
// bridge has no port yet (its IPv6 address still tentative), and a client
// namespace behind a veth, the way a container asks.
func TestResponderOnBridge(t *testing.T) {
	if unix.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	exe, runroot, _ := setupProcess(t)
	writeTestRecords(t, runroot, Records{Listen: []string{"10.89.77.1", "fd89:77::1"},
		Names: map[string][]string{"web": {"10.89.77.2", "fd89:77::2"}}})
	host, client := newNS(t), newNS(t)
	inNS(t, host, func() error {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "ogdns0"}}
		if err := netlink.LinkAdd(br); err != nil {
			return err
		}
		if err := addAddrs(br, 0, "10.89.77.1/24", "fd89:77::1/64"); err != nil {
			return err
		}
		return Ensure(exe, runroot, testNet)
	})
	inNS(t, host, func() error {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "ogdnsh", MasterIndex: mustIndex("ogdns0")},
			PeerName: "eth0", PeerNamespace: netlink.NsFd(client)}
		if err := netlink.LinkAdd(veth); err != nil {
			return err
		}
		return netlink.LinkSetUp(veth)
	})
	inNS(t, client, func() error {
		eth0, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		return addAddrs(eth0, unix.IFA_F_NODAD, "10.89.77.2/24", "10.89.77.3/24", "fd89:77::2/64")
	})
	inNS(t, client, func() error {
		for _, server := range []string{"10.89.77.1:53", "[fd89:77::1]:53"} {
			for _, proto := range []string{"udp", "tcp"} {
				m, err := exchangeRetry(proto, "", server, "WEB.", dns.TypeA)
				if err != nil {
					return err
				}
				if got := answers(m); len(got) != 1 || got[0] != "10.89.77.2" {
					t.Errorf("web from %s over %s: %v", server, proto, got)
				}
			}
		}
		// A source without a name on this network is refused.
		m, err := exchangeRetry("udp", "10.89.77.3", "10.89.77.1:53", "web.", dns.TypeA)
		if err != nil {
			return err
		}
		if m.Rcode != dns.RcodeRefused {
			t.Errorf("unnamed source: rcode %s, want REFUSED", dns.RcodeToString[m.Rcode])
		}
		return nil
	})
}

func mustIndex(name string) int {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return 0
	}
	return l.Attrs().Index
}

// exchangeRetry queries, retrying for a few seconds while the bridge's
// IPv6 address finishes duplicate address detection.
func exchangeRetry(proto, src, server, name string, qtype uint16) (*dns.Msg, error) {
	c := &dns.Client{Net: proto, Timeout: time.Second}
	if src != "" {
		ip := net.IP(netip.MustParseAddr(src).AsSlice())
		c.Dialer = &net.Dialer{Timeout: time.Second, LocalAddr: &net.UDPAddr{IP: ip}}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, _, err := c.Exchange(new(dns.Msg).SetQuestion(name, qtype), server)
		if err == nil || time.Now().After(deadline) {
			if err != nil {
				err = errors.Join(errors.New("querying "+server+" over "+proto), err)
			}
			return m, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
