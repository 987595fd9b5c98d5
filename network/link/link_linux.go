package link

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/onggi/onggi/errdefs"
)

// hostHandle is a netlink handle on the calling thread's network
// namespace: the zero Handle opens a fresh socket per request on the
// current thread, so a caller locked into a test namespace is served there.
func hostHandle() *netlink.Handle { return &netlink.Handle{} }

// nsHandle opens a NETLINK_ROUTE handle whose socket lives in the netns
// bind-mounted at path. The socket keeps its namespace for its lifetime, so
// every later request goes there without any setns on our threads;
// NewHandleAt does one setns while creating the socket on a locked thread
// and moves it back before unlocking.
func nsHandle(path string) (*netlink.Handle, error) {
	ns, err := openNetNS(path)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening netlink in netns %s: %w", path, err)
	}
	return h, nil
}

// openNetNS opens a netns file, classifying a missing one as not found.
func openNetNS(path string) (netns.NsHandle, error) {
	ns, err := netns.GetFromPath(path)
	if errors.Is(err, unix.ENOENT) {
		return 0, errdefs.Errorf(errdefs.ErrNotFound, "netns %s not found", path)
	}
	if err != nil {
		return 0, fmt.Errorf("opening netns %s: %w", path, err)
	}
	return ns, nil
}

// inNetNS runs fn on a fresh OS thread that has joined the netns at path.
// The thread stays locked and dies with its goroutine, so a thread in a
// foreign namespace is never handed back to the Go scheduler, even if fn
// panics or moving back would fail. For what has no namespace-taking
// syscall: /proc/sys/net resolves against the opening thread's netns.
func inNetNS(path string, fn func() error) error {
	ns, err := openNetNS(path)
	if err != nil {
		return err
	}
	defer ns.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with us
		if err := unix.Setns(int(ns), unix.CLONE_NEWNET); err != nil {
			errc <- &netnsError{op: "setns", path: path, err: err}
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// netnsError carries the syscall and the netns file it failed on.
type netnsError struct {
	op, path string
	err      error
}

func (e *netnsError) Error() string { return e.op + " " + e.path + ": " + e.err.Error() }
func (e *netnsError) Unwrap() error { return e.err }

// linkByName looks a link up, classifying a missing one as not found.
func linkByName(h *netlink.Handle, name string) (netlink.Link, error) {
	l, err := h.LinkByName(name)
	if isNotFound(err) {
		return nil, errdefs.Errorf(errdefs.ErrNotFound, "link %s not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("looking up link %s: %w", name, err)
	}
	return l, nil
}

// isNotFound reports a missing link: netlink returns its own type for a
// lookup by name and ENODEV for most other operations.
func isNotFound(err error) bool {
	var lnf netlink.LinkNotFoundError
	return errors.As(err, &lnf) || errors.Is(err, unix.ENODEV)
}

// classify puts an errno into its errdefs class, keeping the cause.
func classify(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, unix.EEXIST):
		return errdefs.Errorf(errdefs.ErrExists, "%s: %w", msg, err)
	case isNotFound(err), errors.Is(err, unix.ENOENT):
		return errdefs.Errorf(errdefs.ErrNotFound, "%s: %w", msg, err)
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ERANGE):
		return errdefs.Errorf(errdefs.ErrInvalid, "%s: %w", msg, err)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// netlinkAddr converts a prefix to netlink's form. An IPv6 address gets
// IFA_F_NODAD: duplicate address detection would keep it tentative (and
// unusable as a source or gateway) for about a second on a subnet where
// IPAM already guarantees uniqueness.
func netlinkAddr(p netip.Prefix) *netlink.Addr {
	a := &netlink.Addr{IPNet: &net.IPNet{
		IP:   p.Addr().Unmap().AsSlice(),
		Mask: net.CIDRMask(p.Bits(), p.Addr().Unmap().BitLen()),
	}}
	if p.Addr().Unmap().Is6() {
		a.Flags = unix.IFA_F_NODAD
	}
	return a
}

// hasV6 reports whether any prefix is IPv6.
func hasV6(ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Addr().Unmap().Is6() {
			return true
		}
	}
	return false
}
