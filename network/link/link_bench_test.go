//go:build linux

package link

import (
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The benchmarks measure one container's network lifetime, NewNetNS +
// endpoint + DeleteNetNS, with the pair created in place (AddVeth) and,
// for comparison, created in the host and then moved into the netns and
// renamed, the way "ip link set X netns Y" tools do. Run them with
//
//	go test -run '^$' -bench . -benchtime 200x ./network/link/
//
// "parallel" runs GOMAXPROCS callers at once, where RTNL is contended.

var benchSeq atomic.Int64

func BenchmarkContainerNetNSOnly(b *testing.B) {
	benchContainer(b, nil)
}

func BenchmarkContainerVethInPlace(b *testing.B) {
	benchContainer(b, AddVeth)
}

func BenchmarkContainerVethMoved(b *testing.B) {
	benchContainer(b, addVethMoved)
}

// BenchmarkContainerVethInPlaceDeleteVeth also deletes the pair before the
// netns, synchronously, as a detach that must free the host name at once
// does (netns teardown frees it later, from a kernel workqueue).
func BenchmarkContainerVethInPlaceDeleteVeth(b *testing.B) {
	benchContainer(b, func(v Veth) error {
		if err := AddVeth(v); err != nil {
			return err
		}
		return DeleteVeth(v.HostName)
	})
}

// benchContainer times NewNetNS, add (if any) and DeleteNetNS, once in a
// loop and once from parallel callers, all against a bridge in a netns of
// the benchmark's own.
func benchContainer(b *testing.B, add func(Veth) error) {
	requireRoot(b)
	host, br := testBridge(b)
	dir := b.TempDir()
	one := func() error {
		i := int(benchSeq.Add(1))
		ns := filepath.Join(dir, fmt.Sprintf("c%d", i))
		if err := NewNetNS(ns); err != nil {
			return err
		}
		if add != nil {
			v := testVeth(br, ns, i%200)
			v.HostName = fmt.Sprintf("vb%07x", i) // the last one may still be dying
			if err := add(v); err != nil {
				return err
			}
		}
		return DeleteNetNS(ns)
	}
	b.Run("seq", func(b *testing.B) {
		in(b, host, func() error {
			b.ResetTimer()
			for range b.N {
				if err := one(); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("parallel", func(b *testing.B) {
		ns, err := openNetNS(host)
		if err != nil {
			b.Fatal(err)
		}
		defer ns.Close()
		b.RunParallel(func(pb *testing.PB) {
			runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
			if err := unix.Setns(int(ns), unix.CLONE_NEWNET); err != nil {
				b.Error(err)
				return
			}
			for pb.Next() {
				if err := one(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// addVethMoved is the design AddVeth avoids: create both ends in the host,
// move the container end with RTM_SETLINK IFLA_NET_NS_FD (an RCU grace
// period under RTNL), rename it inside, then configure as AddVeth does.
func addVethMoved(v Veth) error {
	h := hostHandle()
	br, err := linkByName(h, v.Bridge)
	if err != nil {
		return err
	}
	ns, err := openNetNS(v.NetNS)
	if err != nil {
		return err
	}
	defer ns.Close()
	tmp := "t" + v.HostName[2:]
	la := netlink.NewLinkAttrs()
	la.Name, la.MTU, la.Flags = v.HostName, v.MTU, net.FlagUp
	veth := &netlink.Veth{LinkAttrs: la, PeerName: tmp, PeerHardwareAddr: v.MAC}
	if err := h.LinkAdd(veth); err != nil {
		return err
	}
	if err := h.LinkSetMasterByIndex(veth, br.Attrs().Index); err != nil {
		return err
	}
	peer, err := h.LinkByName(tmp)
	if err != nil {
		return err
	}
	if err := h.LinkSetNsFd(peer, int(ns)); err != nil {
		return err
	}
	ch, err := nsHandle(v.NetNS)
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := ch.LinkSetName(peer, v.IfName); err != nil {
		return err
	}
	return configureContainerEnd(v)
}
