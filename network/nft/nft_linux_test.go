package nft

import (
	"errors"
	"net/netip"
	"os"
	"sync"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/onggi/onggi/errdefs"
)

const testTable = "onggi-test"

// fixture is two networks (one internal, one dual-stack) and four ports.
func fixture() Ruleset {
	return Ruleset{
		Table: testTable,
		Networks: []Net{
			{Bridge: "onggi0", Subnets: []netip.Prefix{netip.MustParsePrefix("10.89.0.0/24"), netip.MustParsePrefix("fd00:89::/64")}},
			{Bridge: "br-0123456789ab", Subnets: []netip.Prefix{netip.MustParsePrefix("10.89.1.0/24")}, Internal: true},
		},
		Ports: []Port{
			{Proto: "tcp", HostPort: 8080, ContainerIP: netip.MustParseAddr("10.89.0.2"), ContainerPort: 80},
			{Proto: "udp", HostIP: netip.MustParseAddr("0.0.0.0"), HostPort: 5353, ContainerIP: netip.MustParseAddr("10.89.0.2"), ContainerPort: 53},
			{Proto: "tcp", HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 8081, ContainerIP: netip.MustParseAddr("10.89.0.3"), ContainerPort: 80},
			{Proto: "sctp", HostPort: 9000, ContainerIP: netip.MustParseAddr("fd00:89::2"), ContainerPort: 9000},
		},
	}
}

// fixtureCounts is the rule count per chain for fixture(), worked out by
// hand from the layout in doc.go.
var fixtureCounts = map[string]int{
	chainPrerouting:  2 + 3,             // loopback returns + ports not bound to 127.0.0.1
	chainOutput:      1 + 4,             // ::1 return + every port
	chainPostrouting: 1 + 3 + 2,         // loopback + hairpin per subnet + outbound per non-internal subnet
	chainForward:     1 + 2 + 1 + 2 + 1, // established, internal in/out, dnat, same-bridge per net, drop
}

// ruleCounts reads the table back and returns the rule count per chain.
func ruleCounts(t *testing.T, c *nftables.Conn, table string) map[string]int {
	t.Helper()
	tab := &nftables.Table{Name: table, Family: nftables.TableFamilyINet}
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, ch := range chains {
		if ch.Table.Name != table {
			continue
		}
		if ch.Hooknum == nil || ch.Policy == nil || *ch.Policy != nftables.ChainPolicyAccept {
			t.Errorf("chain %s: want a base chain with policy accept", ch.Name)
		}
		rules, err := c.GetRules(tab, ch)
		if err != nil {
			t.Fatal(err)
		}
		counts[ch.Name] = len(rules)
	}
	return counts
}

func hasTable(t *testing.T, c *nftables.Conn, name string) bool {
	t.Helper()
	tabs, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		t.Fatal(err)
	}
	for _, tab := range tabs {
		if tab.Name == name {
			return true
		}
	}
	return false
}

func wantCounts(t *testing.T, got, want map[string]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("chains = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("chain %s: %d rules, want %d (all: %v)", k, got[k], v, got)
		}
	}
}

// addForeignTable creates the table another tool would own, with one rule,
// so tests can prove Apply and Delete leave it alone.
func addForeignTable(t *testing.T, c *nftables.Conn) (*nftables.Table, *nftables.Chain) {
	t.Helper()
	tab := c.AddTable(&nftables.Table{Name: "filter", Family: nftables.TableFamilyIPv4})
	ch := c.AddChain(&nftables.Chain{Name: "FORWARD", Table: tab, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter})
	c.AddRule(&nftables.Rule{Table: tab, Chain: ch, Exprs: []expr.Any{&expr.Counter{}, &expr.Verdict{Kind: expr.VerdictAccept}}})
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	return tab, ch
}

func TestApplyReplaceDelete(t *testing.T) {
	needRoot(t)
	ns := newNetNS(t)
	c := conn(t, ns)
	ftab, fch := addForeignTable(t, c)

	rs := fixture()
	if err := applyWith(rs, nsOpt(ns)); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, ruleCounts(t, c, testTable), fixtureCounts)
	set, err := c.GetSetByName(&nftables.Table{Name: testTable, Family: nftables.TableFamilyINet}, setBridges)
	if err != nil {
		t.Fatal(err)
	}
	if elems, err := c.GetSetElements(set); err != nil || len(elems) != 2 {
		t.Errorf("bridges set: %d elements, err %v; want 2", len(elems), err)
	}

	// Re-applying the same ruleset must not duplicate anything; dropping a
	// port must shrink exactly the DNAT chains.
	if err := applyWith(rs, nsOpt(ns)); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, ruleCounts(t, c, testTable), fixtureCounts)
	rs.Ports = rs.Ports[:1]
	if err := applyWith(rs, nsOpt(ns)); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{chainPrerouting: 3, chainOutput: 2,
		chainPostrouting: fixtureCounts[chainPostrouting], chainForward: fixtureCounts[chainForward]}
	wantCounts(t, ruleCounts(t, c, testTable), want)

	// No networks: the table goes; a second delete of the missing table is fine.
	rs.Networks = nil
	if err := applyWith(rs, nsOpt(ns)); err != nil {
		t.Fatal(err)
	}
	if hasTable(t, c, testTable) {
		t.Error("table still present after Apply with no networks")
	}
	if err := deleteWith(testTable, nsOpt(ns)); err != nil {
		t.Errorf("Delete of a missing table: %v", err)
	}

	rules, err := c.GetRules(ftab, fch)
	if err != nil || len(rules) != 1 {
		t.Errorf("foreign table filter/FORWARD: %d rules, err %v; want 1 untouched", len(rules), err)
	}
}

func TestApplyConcurrent(t *testing.T) {
	needRoot(t)
	ns := newNetNS(t)
	c := conn(t, ns)
	addForeignTable(t, c)

	// Ten writers with different port counts: whichever batch commits last
	// wins, but the table must always be exactly one complete ruleset.
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs := fixture()
			for p := range i {
				rs.Ports = append(rs.Ports, Port{Proto: "tcp", HostPort: uint16(10000 + p),
					ContainerIP: netip.MustParseAddr("10.89.0.9"), ContainerPort: 80})
			}
			errs[i] = applyWith(rs, nsOpt(ns))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got := ruleCounts(t, c, testTable)
	extra := got[chainOutput] - fixtureCounts[chainOutput]
	if extra < 0 || extra > 9 {
		t.Fatalf("output chain has %d rules: not one writer's ruleset", got[chainOutput])
	}
	want := map[string]int{}
	for k, v := range fixtureCounts {
		want[k] = v
	}
	want[chainPrerouting] += extra
	want[chainOutput] += extra
	wantCounts(t, got, want)
	tabs, _ := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if len(tabs) != 1 {
		t.Errorf("%d inet tables, want exactly one", len(tabs))
	}
	if !hasTable(t, c, testTable) {
		t.Error("table missing")
	}
}

func TestValidate(t *testing.T) {
	bad := []Ruleset{
		{Table: ""},
		{Table: "t", Networks: []Net{{Bridge: "a-name-longer-than-15"}}},
		{Table: "t", Networks: []Net{{Bridge: "a"}, {Bridge: "a"}}},
		{Table: "t", Ports: []Port{{Proto: "icmp", HostPort: 1, ContainerPort: 1, ContainerIP: netip.MustParseAddr("10.0.0.2")}}},
		{Table: "t", Ports: []Port{{Proto: "tcp", HostPort: 0, ContainerPort: 1, ContainerIP: netip.MustParseAddr("10.0.0.2")}}},
		{Table: "t", Ports: []Port{{Proto: "tcp", HostPort: 1, ContainerPort: 1}}},
		{Table: "t", Ports: []Port{{Proto: "tcp", HostIP: netip.MustParseAddr("10.0.0.1"), HostPort: 1, ContainerPort: 1, ContainerIP: netip.MustParseAddr("fd00::2")}}},
		{Table: "t", Ports: []Port{{Proto: "tcp", HostIP: netip.MustParseAddr("::1"), HostPort: 1, ContainerPort: 1, ContainerIP: netip.MustParseAddr("fd00::2")}}},
	}
	for i, rs := range bad {
		if _, err := validate(rs); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("case %d: err = %v, want ErrInvalid", i, err)
		}
	}
	rs, err := validate(Ruleset{Table: "t", Ports: []Port{{Proto: "tcp", HostIP: netip.MustParseAddr("::"),
		HostPort: 1, ContainerPort: 1, ContainerIP: netip.MustParseAddr("::ffff:10.0.0.2")}}})
	if err != nil {
		t.Fatal(err)
	}
	if p := rs.Ports[0]; p.HostIP.IsValid() || !p.ContainerIP.Is4() {
		t.Errorf("normalised port = %+v, want zero HostIP and an IPv4 container address", p)
	}
}

// BenchmarkApply is the netlink cost of changing the ruleset back to back:
// replacing the table, and creating then deleting it. Back to back, each
// batch also waits for the kernel to free what the previous one deleted
// (it holds the commit mutex meanwhile), so this is throughput; one Apply
// alone returns in ~2 ms here (see closeLater).
func BenchmarkApply(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	ns := newNetNS(b)
	rs := fixture()
	for p := range 20 {
		rs.Ports = append(rs.Ports, Port{Proto: "tcp", HostPort: uint16(20000 + p),
			ContainerIP: netip.MustParseAddr("10.89.0.9"), ContainerPort: 80})
	}
	b.Run("replace", func(b *testing.B) {
		for b.Loop() {
			if err := applyWith(rs, nsOpt(ns)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("create+delete", func(b *testing.B) {
		for b.Loop() {
			if err := applyWith(rs, nsOpt(ns)); err != nil {
				b.Fatal(err)
			}
			if err := deleteWith(rs.Table, nsOpt(ns)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
