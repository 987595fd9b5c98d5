package integration

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestNetworkCreateList: network create and ls (table, filters, -q,
// --no-trunc, --format) with docker's output and errors.
// (Its subnet differs from TestNetworkInspect's: parallel instances may
// not share one, see the subnet claims in engine/network_subnets.go.)
func TestNetworkCreateList(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	idA := c.createNetwork("cli-a", "--label", "tier=front", "--label", "solo")
	if len(idA) != 64 {
		t.Fatalf("network create printed %q, want a 64-hex id", idA)
	}
	idB := c.createNetwork("cli-b", "--subnet", "10.211.8.0/24", "--gateway", "10.211.8.254", "--ip-range", "10.211.8.128/25", "--internal")
	if r := c.run("network", "create", "cli-a"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("duplicate create: %v", r)
	}
	if r := c.run("network", "create", "--gateway", "10.0.0.1", "cli-x"); r.code != 1 || !strings.Contains(r.stderr, "every ip-range or gateway must have a corresponding subnet") {
		t.Errorf("gateway without subnet: %v", r)
	}

	lines := imageLines(c.ok("network", "ls"))
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "NETWORK ID") || !strings.Contains(lines[0], "NAME") ||
		!strings.Contains(lines[0], "DRIVER") || !strings.Contains(lines[0], "SCOPE") {
		t.Fatalf("network ls:\n%s", strings.Join(lines, "\n"))
	}
	var names []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 4 || len(f[0]) != 12 {
			t.Errorf("ls row %q", l)
			continue
		}
		names = append(names, f[1])
	}
	if want := []string{"bridge", "cli-a", "cli-b", "host", "none"}; !slices.Equal(names, want) {
		t.Errorf("ls names %v, want %v (sorted by name)", names, want)
	}
	for _, tc := range []struct {
		filters []string
		want    []string
	}{
		{[]string{"name=cli-"}, []string{"cli-a", "cli-b"}},
		{[]string{"label=tier=front"}, []string{"cli-a"}},
		{[]string{"label=solo"}, []string{"cli-a"}},
		{[]string{"type=custom"}, []string{"cli-a", "cli-b"}},
		{[]string{"type=builtin"}, []string{"bridge", "host", "none"}},
		{[]string{"driver=bridge", "name=cli"}, []string{"cli-a", "cli-b"}},
		{[]string{"id=" + idB[:10]}, []string{"cli-b"}},
		{[]string{"dangling=true"}, []string{"cli-a", "cli-b"}},
	} {
		args := []string{"network", "ls", "--format", "{{.Name}}"}
		for _, f := range tc.filters {
			args = append(args, "--filter", f)
		}
		if got := imageLines(c.ok(args...)); !slices.Equal(got, tc.want) {
			t.Errorf("ls %v: %v, want %v", tc.filters, got, tc.want)
		}
	}
	if r := c.run("network", "ls", "--filter", "bogus=1"); r.code == 0 {
		t.Errorf("unknown filter accepted: %v", r)
	}
	if got := imageLines(c.ok("network", "ls", "-q", "--no-trunc", "--filter", "name=cli-a")); !slices.Equal(got, []string{idA}) {
		t.Errorf("ls -q --no-trunc: %v", got)
	}
	if got := strings.TrimSpace(c.ok("network", "ls", "--filter", "name=cli-b", "--format", "{{.Name}} {{.Internal}} {{.Label \"x\"}}|")); got != "cli-b true |" {
		t.Errorf("ls --format: %q", got)
	}
	var row map[string]string
	if err := json.Unmarshal([]byte(c.ok("network", "ls", "--filter", "name=cli-a", "--format", "json")), &row); err != nil ||
		row["Name"] != "cli-a" || row["Driver"] != "bridge" || row["Scope"] != "local" || row["Labels"] != "solo=,tier=front" {
		t.Errorf("ls --format json: %v %v", row, err)
	}
}

// TestNetworkInspect: network inspect's JSON array, -f, missing names, and
// a container's endpoint inside --ip-range.
func TestNetworkInspect(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	idA := c.createNetwork("cli-a", "--label", "tier=front")
	c.createNetwork("cli-b", "--subnet", "10.211.7.0/24", "--gateway", "10.211.7.254", "--ip-range", "10.211.7.128/25", "--internal")
	var inspected []struct {
		Name       string
		Internal   bool
		Labels     map[string]string
		IPAM       struct{ Config []map[string]string }
		Containers map[string]any
	}
	if err := json.Unmarshal([]byte(c.ok("network", "inspect", "cli-b", idA[:12])), &inspected); err != nil || len(inspected) != 2 {
		t.Fatalf("inspect: %v %+v", err, inspected)
	}
	b := inspected[0]
	if b.Name != "cli-b" || !b.Internal || len(b.IPAM.Config) != 1 || b.IPAM.Config[0]["Subnet"] != "10.211.7.0/24" ||
		b.IPAM.Config[0]["Gateway"] != "10.211.7.254" || b.IPAM.Config[0]["IPRange"] != "10.211.7.128/25" {
		t.Errorf("inspect cli-b: %+v", b)
	}
	if inspected[1].Labels["tier"] != "front" {
		t.Errorf("inspect cli-a labels: %v", inspected[1].Labels)
	}
	if got := strings.TrimSpace(c.ok("network", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Internal}}", "cli-b")); got != "cli-b bridge true" {
		t.Errorf("inspect -f: %q", got)
	}
	// The top-level inspect finds networks too (after containers, images
	// and volumes), and --type network restricts it to them.
	if got := strings.TrimSpace(c.ok("inspect", "-f", "{{.Name}} {{.Driver}}", "cli-b")); got != "cli-b bridge" {
		t.Errorf("inspect cli-b: %q", got)
	}
	if r := c.run("inspect", "--type", "network", "nosuchnet"); r.code != 1 || !strings.Contains(r.stderr, "No such network: nosuchnet") {
		t.Errorf("inspect --type network missing: %v", r)
	}
	if r := c.run("network", "inspect", "cli-a", "nosuchnet"); r.code != 1 || !strings.Contains(r.stderr, "No such network: nosuchnet") ||
		!strings.Contains(r.stdout, `"cli-a"`) {
		t.Errorf("inspect missing: %v", r)
	}

	// An address inside --ip-range is handed out; an endpoint keeps the
	// network in use.
	ctr := c.sleeper("--network", "cli-b", "--name", "user-b")
	if ip := c.ip(ctr, "cli-b"); !strings.HasPrefix(ip.String(), "10.211.7.") || ip.As4()[3] < 128 || ip.As4()[3] == 254 {
		t.Errorf("address %v outside --ip-range 10.211.7.128/25 or the gateway", ip)
	}
	if got := strings.TrimSpace(c.ok("network", "inspect", "-f", "{{range .Containers}}{{.Name}}{{end}}", "cli-b")); got != "user-b" {
		t.Errorf("inspect Containers: %q", got)
	}
	if got := imageLines(c.ok("network", "ls", "--format", "{{.Name}}", "--filter", "dangling=true")); !slices.Equal(got, []string{"cli-a"}) {
		t.Errorf("dangling with a container on cli-b: %v", got)
	}
}

// TestNetworkRemovePrune: rm of several names reports each failure and
// exits 1; prune asks first and removes only unused custom networks.
func TestNetworkRemovePrune(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	c.createNetwork("cli-a")
	c.createNetwork("cli-b")
	ctr := c.sleeper("--network", "cli-b")
	r := c.run("network", "rm", "cli-a", "nosuchnet", "cli-b", "bridge")
	if r.code != 1 || r.stdout != "cli-a\n" || !strings.Contains(r.stderr, "nosuchnet") ||
		!strings.Contains(r.stderr, "active endpoints") || !strings.Contains(r.stderr, "pre-defined") {
		t.Errorf("network rm several: %v", r)
	}
	if r := c.run("network", "rm", "-f", "nosuchnet"); r.code != 0 {
		t.Errorf("rm -f of a missing network: %v", r)
	}

	// prune asks first; "n" keeps everything, -f removes the unused.
	c.createNetwork("cli-c")
	r = c.runIn(strings.NewReader("n\n"), "network", "prune")
	if r.code != 0 || !strings.Contains(r.stdout, "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ") {
		t.Errorf("prune prompt: %v", r)
	}
	if got := imageLines(c.ok("network", "ls", "--format", "{{.Name}}", "--filter", "type=custom")); !slices.Equal(got, []string{"cli-b", "cli-c"}) {
		t.Errorf("after a declined prune: %v", got)
	}
	if out := c.ok("network", "prune", "-f"); out != "Deleted Networks:\ncli-c\n\n" {
		t.Errorf("prune -f: %q", out)
	}
	if out := c.ok("network", "prune", "-f"); out != "" {
		t.Errorf("prune with nothing to do: %q", out)
	}
	c.ok("rm", "-f", ctr)
	if out := c.ok("network", "rm", "cli-b"); out != "cli-b\n" {
		t.Errorf("rm cli-b: %q", out)
	}
}
