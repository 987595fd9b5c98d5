package network

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

func TestBridgeNamesAndConflicts(t *testing.T) {
	s := openStore(t)
	n := &Network{Name: "a", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.89.5.0/24")}}}
	if err := s.Create(n); err != nil {
		t.Fatal(err)
	}
	if n.Driver != DriverBridge || n.Bridge != UserBridgeName(n.ID) {
		t.Fatalf("driver %q bridge %q", n.Driver, n.Bridge)
	}
	named := &Network{Name: "b", Options: map[string]string{OptBridgeName: "mybr0"}}
	if err := s.Create(named); err != nil || named.Bridge != "mybr0" {
		t.Fatalf("named bridge: %q %v", named.Bridge, err)
	}
	err := s.Create(&Network{Name: "c", Options: map[string]string{OptBridgeName: "mybr0"}})
	if !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("same bridge name: %v", err)
	}
	err = s.Create(&Network{Name: "d", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.89.0.0/16")}}})
	if !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("overlapping subnet: %v", err)
	}
	if err := s.Create(&Network{Name: "e", Driver: DriverHost}); err != nil {
		t.Fatal(err)
	}
	if e, _ := s.Get("e"); e.Bridge != "" {
		t.Fatalf("host driver got bridge %q", e.Bridge)
	}
}

// storeHelperEnv makes TestMain run storeHelper instead of the tests:
// this test binary re-executed plays a second onggi process.
const storeHelperEnv = "ONGGI_NETWORK_TEST_HELPER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(storeHelperEnv); dir != "" {
		os.Exit(storeHelper(dir))
	}
	os.Exit(m.Run())
}

// storeHelper ensures the predefined networks, then tries to create
// "shared", printing "created", "exists" or the error.
func storeHelper(dir string) int {
	s, err := Open(dir)
	if err != nil {
		fmt.Println(err)
		return 2
	}
	pick := func() (netip.Prefix, error) { return netip.MustParsePrefix("10.89.0.0/24"), nil }
	if err := s.EnsurePredefined("", pick); err != nil {
		fmt.Println(err)
		return 2
	}
	err = s.Create(&Network{Name: "shared"})
	switch {
	case err == nil:
		fmt.Println("created")
	case errors.Is(err, errdefs.ErrExists):
		fmt.Println("exists")
	default:
		fmt.Println(err)
		return 2
	}
	return 0
}

func TestParallelProcesses(t *testing.T) {
	s := openStore(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const procs = 6
	outs := make([]string, procs)
	var wg sync.WaitGroup
	for i := range procs {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), storeHelperEnv+"="+s.Dir())
		wg.Go(func() {
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("helper %d: %v: %s", i, err, out)
			}
			outs[i] = strings.TrimSpace(string(out))
		})
	}
	wg.Wait()
	created := 0
	for _, o := range outs {
		switch o {
		case "created":
			created++
		case "exists":
		default:
			t.Fatalf("helper said %q", o)
		}
	}
	all, err := s.List()
	if err != nil || created != 1 || len(all) != 4 {
		t.Fatalf("created %d times, %d networks stored (%v)", created, len(all), err)
	}
}
