package nft

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"
)

// Helpers that keep every test inside network namespaces it creates:
// nothing here may touch the host's interfaces, sysctls or nftables.

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and nftables tables")
	}
}

// newNetNS creates an anonymous network namespace and returns a file
// holding it; the namespace dies when the file is closed at cleanup.
func newNetNS(t testing.TB) *os.File {
	t.Helper()
	type res struct {
		f   *os.File
		err error
	}
	ch := make(chan res, 1)
	go func() {
		// The thread is never unlocked: when this goroutine returns the
		// runtime throws it away with its changed namespace.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- res{err: fmt.Errorf("unshare: %w", err)}
			return
		}
		f, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		ch <- res{f, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("new netns: %v", r.err)
	}
	t.Cleanup(func() { r.f.Close() })
	return r.f
}

// conn returns an nftables connection into ns.
func conn(t *testing.T, ns *os.File) *nftables.Conn {
	t.Helper()
	c, err := nftables.New(nftables.WithNetNSFd(int(ns.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func nsOpt(ns *os.File) nftables.ConnOption { return nftables.WithNetNSFd(int(ns.Fd())) }

// inNS runs fn on a dedicated OS thread moved into the namespace at path;
// the thread is discarded afterwards instead of being moved back.
func inNS(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(path)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", path, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// namedNS creates a named namespace ("ip netns add") with lo up, removed
// at cleanup; named so `ip -n` can build topologies in it.
func namedNS(t *testing.T, role string) string {
	t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	name := "ogt-" + role + "-" + hex.EncodeToString(b)
	sh(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	sh(t, "ip", "-n", name, "link", "set", "lo", "up")
	// No duplicate address detection: addresses, link-local ones
	// included, are usable at once instead of tentative for a second.
	sysctl(t, name, "net.ipv6.conf.all.accept_dad", "0")
	sysctl(t, name, "net.ipv6.conf.default.accept_dad", "0")
	return name
}

func nsPath(name string) string { return "/run/netns/" + name }

func sh(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// sysctl writes a /proc/sys/net value from a thread inside ns: the net
// sysctls are per namespace, so the host's stay as they are.
func sysctl(t *testing.T, ns, key, val string) {
	t.Helper()
	err := inNS(nsPath(ns), func() error {
		return os.WriteFile("/proc/sys/"+strings.ReplaceAll(key, ".", "/"), []byte(val), 0o644)
	})
	if err != nil {
		t.Fatalf("sysctl %s=%s in %s: %v", key, val, ns, err)
	}
}

// nftList logs the table as nft(8) prints it, when nft is installed: a
// debugging aid only, never needed for the assertions.
func nftList(t *testing.T, ns, table string) {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		return
	}
	out, _ := exec.Command("ip", "netns", "exec", ns, "nft", "list", "table", "inet", table).CombinedOutput()
	t.Logf("nft list table inet %s:\n%s", table, out)
}
