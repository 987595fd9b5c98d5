package ipam

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

// Helper processes are this test binary re-executed with helperEnv set:
// TestMain runs the helper instead of the tests.
const helperEnv = "ONGGI_IPAM_TEST_HELPER"

// smallPool has 13 usable addresses: .2-.14 of a /28.
var smallPool = pool("10.89.9.0/28", "10.89.9.1", "")

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode, os.Args[len(os.Args)-2], os.Args[len(os.Args)-1]))
	}
	os.Exit(m.Run())
}

// helperMain allocates one address per owner "<prefix>-<i>" (mode
// "alloc") or allocates and releases forever (mode "churn"), printing
// "ok <addr>" or "full" per attempt.
func helperMain(mode, dir, prefix string) int {
	a, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for i := 0; mode == "churn" || i < 5; i++ {
		owner := fmt.Sprintf("%s-%d", prefix, i)
		got, err := a.Allocate(netA, smallPool, owner, netip.Addr{})
		switch {
		case errors.Is(err, errdefs.ErrUnavailable):
			fmt.Println("full")
		case err != nil:
			fmt.Fprintln(os.Stderr, err)
			return 2
		default:
			fmt.Println("ok", got)
		}
		if mode == "churn" && i%3 == 0 {
			if err := a.Release(netA, fmt.Sprintf("%s-%d", prefix, i-1)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
		}
	}
	return 0
}

// checkUnique checks the table against the addresses handed out.
func checkUnique(t *testing.T, a *Allocator, got []netip.Addr, wantOK int) {
	t.Helper()
	seen := map[netip.Addr]bool{}
	for _, ip := range got {
		if seen[ip] {
			t.Fatalf("address %s handed out twice", ip)
		}
		seen[ip] = true
		if ip == smallPool.Gateway || !smallPool.Prefix.Contains(ip) || ip.As4()[3] == 0 || ip.As4()[3] == 15 {
			t.Fatalf("reserved or foreign address %s handed out", ip)
		}
	}
	if len(got) != wantOK {
		t.Fatalf("%d allocations succeeded, want %d", len(got), wantOK)
	}
	owners, err := a.Owners(netA)
	if err != nil {
		t.Fatal(err)
	}
	if len(owners) != wantOK {
		t.Fatalf("table holds %d addresses, want %d", len(owners), wantOK)
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	a := open(t)
	var (
		mu   sync.Mutex
		got  []netip.Addr
		full int
		wg   sync.WaitGroup
	)
	for g := range 20 {
		wg.Go(func() {
			// Each goroutine opens its own Allocator: locks are per open
			// file, as they are across processes.
			b, err := Open(a.dir)
			if err != nil {
				t.Error(err)
				return
			}
			ip, err := b.Allocate(netA, smallPool, fmt.Sprint("g", g), netip.Addr{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, errdefs.ErrUnavailable):
				full++
			case err != nil:
				t.Error(err)
			default:
				got = append(got, ip)
			}
		})
	}
	wg.Wait()
	checkUnique(t, a, got, 13)
	if full != 7 {
		t.Fatalf("%d exhaustion errors, want 7", full)
	}
}

func helperCmd(t *testing.T, mode, dir, prefix string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$", dir, prefix)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestConcurrentProcesses(t *testing.T) {
	a := open(t)
	const procs = 4 // × 5 owners = 20 requests for 13 addresses
	outs := make([][]byte, procs)
	var wg sync.WaitGroup
	for p := range procs {
		cmd := helperCmd(t, "alloc", a.dir, fmt.Sprint("p", p))
		wg.Go(func() {
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("helper %d: %v", p, err)
			}
			outs[p] = out
		})
	}
	wg.Wait()
	var got []netip.Addr
	full := 0
	for _, out := range outs {
		for line := range strings.Lines(string(out)) {
			if ip, ok := strings.CutPrefix(strings.TrimSpace(line), "ok "); ok {
				got = append(got, netip.MustParseAddr(ip))
			} else if strings.TrimSpace(line) == "full" {
				full++
			}
		}
	}
	checkUnique(t, a, got, 13)
	if full != 7 {
		t.Fatalf("%d exhaustion errors, want 7", full)
	}
}

// TestKilledWriters kills allocating processes with SIGKILL at arbitrary
// points: the table must stay readable, and every address in it unique
// (a map key cannot repeat, so readability is the check that matters).
func TestKilledWriters(t *testing.T) {
	a := open(t)
	for round := range 5 {
		cmd := helperCmd(t, "churn", a.dir, fmt.Sprint("k", round))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		sc := bufio.NewScanner(stdout)
		for n := 0; n < 20+round*7 && sc.Scan(); n++ {
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		owners, err := a.Owners(netA)
		if err != nil {
			t.Fatalf("round %d: table unreadable after kill -9: %v", round, err)
		}
		if len(owners) > 13 {
			t.Fatalf("round %d: %d addresses in a 13-address pool", round, len(owners))
		}
	}
	// The lock died with its holders: a new allocation proceeds.
	if err := a.ReleaseOwner("k0-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Allocate(netA, smallPool, "after", netip.MustParseAddr("10.89.9.14")); err != nil && !errors.Is(err, errdefs.ErrInUse) {
		t.Fatal(err)
	}
}
