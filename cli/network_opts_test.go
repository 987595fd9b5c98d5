package cli

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"
)

func TestParsePublish(t *testing.T) {
	a := netip.MustParseAddr
	type b = network.PortBinding
	tests := []struct {
		spec string
		want map[string][]b // "80/tcp" -> bindings
		err  string
	}{
		{spec: "80", want: map[string][]b{"80/tcp": {{}}}},
		{spec: "8080:80", want: map[string][]b{"80/tcp": {{HostPort: "8080"}}}},
		{spec: "8080:80/udp", want: map[string][]b{"80/udp": {{HostPort: "8080"}}}},
		{spec: "8080:80/UDP", want: map[string][]b{"80/udp": {{HostPort: "8080"}}}},
		{spec: "132:132/sctp", want: map[string][]b{"132/sctp": {{HostPort: "132"}}}},
		{spec: "0:80", want: map[string][]b{"80/tcp": {{HostPort: "0"}}}},
		{spec: "127.0.0.1:8080:80", want: map[string][]b{"80/tcp": {{HostIP: a("127.0.0.1"), HostPort: "8080"}}}},
		{spec: "127.0.0.1::80", want: map[string][]b{"80/tcp": {{HostIP: a("127.0.0.1")}}}},
		{spec: "[::1]:8080:80", want: map[string][]b{"80/tcp": {{HostIP: a("::1"), HostPort: "8080"}}}},
		{spec: "[::]:8080:80/udp", want: map[string][]b{"80/udp": {{HostIP: a("::"), HostPort: "8080"}}}},
		{spec: "::1:8080:80", want: map[string][]b{"80/tcp": {{HostIP: a("::1"), HostPort: "8080"}}}},
		{spec: "8000-8001:80-81", want: map[string][]b{"80/tcp": {{HostPort: "8000"}}, "81/tcp": {{HostPort: "8001"}}}},
		{spec: "8000-8010:80", want: map[string][]b{"80/tcp": {{HostPort: "8000-8010"}}}},
		{spec: "80-81", want: map[string][]b{"80/tcp": {{}}, "81/tcp": {{}}}},
		{spec: "published=8080,target=80,protocol=udp", want: map[string][]b{"80/udp": {{HostPort: "8080"}}}},
		{spec: "published=8080,target=80", want: map[string][]b{"80/tcp": {{HostPort: "8080"}}}},
		{spec: "published=8080,target", err: "invalid publish opts format (should be name=value but got 'target')"},
		{spec: "8080:", err: "no port specified: 8080:<empty>"},
		{spec: "8080:80/icmp", err: "invalid proto: icmp"},
		{spec: "1.2.3:8080:80", err: "invalid IP address: 1.2.3"},
		{spec: "[::1:8080:80", err: "invalid IP address"},
		{spec: "8080:http", err: "invalid containerPort: http"},
		{spec: "8080:70000", err: "invalid containerPort: 70000"},
		{spec: "x:80", err: "invalid hostPort: x"},
		{spec: "8000-8002:80-81", err: "invalid ranges specified for container and host Ports: 80-81 and 8000-8002"},
		{spec: "81-80", err: "invalid containerPort: 81-80"},
	}
	for _, tc := range tests {
		exposed, bindings, err := parsePublish([]string{tc.spec})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		got := map[string][]b{}
		for p, bs := range bindings {
			got[p.String()] = bs
			if _, ok := exposed[p]; !ok {
				t.Errorf("%s: %s published but not exposed", tc.spec, p)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: bindings %v, want %v", tc.spec, got, tc.want)
		}
	}
}

// TestParseNetworkFlags: -p, -P, --expose, --dns*, --add-host fill
// docker's Config/HostConfig fields.
func TestParseNetworkFlags(t *testing.T) {
	co := mustParse(t, "-p", "8080:80", "-p", "127.0.0.1:8081:80", "-p", "53:53/udp", "-P",
		"--expose", "90", "--expose", "7000-7001/udp", "--dns", "1.1.1.1", "--dns", "0:0:0:0:0:0:0:1",
		"--dns-search", "example.com", "--dns-search", ".", "--dns-option", "ndots:2", "--dns-opt", "timeout:1",
		"--add-host", "db:10.0.0.5", "--add-host", "gw=host-gateway", "--add-host", "six:[2001:db8::1]",
		"-h", "box", "busybox")
	hc, cfg := co.HostConfig, co.Config
	p80 := network.MustParsePort("80/tcp")
	want80 := []network.PortBinding{{HostPort: "8080"}, {HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "8081"}}
	if !reflect.DeepEqual(hc.PortBindings[p80], want80) {
		t.Errorf("80/tcp bindings %v", hc.PortBindings[p80])
	}
	if len(hc.PortBindings) != 2 || !hc.PublishAllPorts {
		t.Errorf("bindings %v, publish-all %v", hc.PortBindings, hc.PublishAllPorts)
	}
	var exposed []string
	for p := range cfg.ExposedPorts {
		exposed = append(exposed, p.String())
	}
	slices.Sort(exposed)
	if want := []string{"53/udp", "7000/udp", "7001/udp", "80/tcp", "90/tcp"}; !slices.Equal(exposed, want) {
		t.Errorf("exposed %v, want %v", exposed, want)
	}
	if got := []string{hc.DNS[0].String(), hc.DNS[1].String()}; !slices.Equal(got, []string{"1.1.1.1", "::1"}) {
		t.Errorf("dns %v", hc.DNS)
	}
	if !slices.Equal(hc.DNSSearch, []string{"example.com", "."}) || !slices.Equal(hc.DNSOptions, []string{"ndots:2", "timeout:1"}) {
		t.Errorf("dns search %v options %v", hc.DNSSearch, hc.DNSOptions)
	}
	if want := []string{"db:10.0.0.5", "gw:host-gateway", "six:2001:db8::1"}; !slices.Equal(hc.ExtraHosts, want) {
		t.Errorf("extra hosts %v, want %v", hc.ExtraHosts, want)
	}
	if cfg.Hostname != "box" || hc.NetworkMode != "" || co.NetworkingConfig != nil {
		t.Errorf("hostname %q mode %q netcfg %+v", cfg.Hostname, hc.NetworkMode, co.NetworkingConfig)
	}
}

// TestParseNetworkEndpoints: --network, --network-alias, --ip, --ip6 and
// --mac-address become the first network's endpoint settings.
func TestParseNetworkEndpoints(t *testing.T) {
	co := mustParse(t, "--network", "front", "--network-alias", "web", "--net-alias", "www",
		"--ip", "10.89.3.7", "--ip6", "fd00::7", "--mac-address", "92:d0:c6:0a:29:33", "busybox")
	if co.HostConfig.NetworkMode != "front" {
		t.Fatalf("mode %q", co.HostConfig.NetworkMode)
	}
	ep := co.NetworkingConfig.EndpointsConfig["front"]
	if ep == nil || !slices.Equal(ep.Aliases, []string{"web", "www"}) || ep.MacAddress.String() != "92:d0:c6:0a:29:33" ||
		ep.IPAMConfig == nil || ep.IPAMConfig.IPv4Address.String() != "10.89.3.7" || ep.IPAMConfig.IPv6Address.String() != "fd00::7" {
		t.Fatalf("endpoint %+v", ep)
	}
	// Only a mode: no endpoint settings (docker's client leaves it out).
	if co := mustParse(t, "--network", "none", "busybox"); co.HostConfig.NetworkMode != "none" || co.NetworkingConfig != nil {
		t.Errorf("--network none: %q %+v", co.HostConfig.NetworkMode, co.NetworkingConfig)
	}
	// The default bridge takes a MAC address, keyed "bridge".
	co = mustParse(t, "--mac-address", "02:42:0a:00:00:09", "busybox")
	if ep := co.NetworkingConfig.EndpointsConfig["bridge"]; ep == nil || ep.MacAddress.String() != "02:42:0a:00:00:09" {
		t.Errorf("default bridge mac: %+v", co.NetworkingConfig)
	}
	// Long syntax and several networks: one endpoint each.
	co = mustParse(t, "--network", "name=a,alias=x,ip=10.1.0.5", "--network", "b", "busybox")
	eps := co.NetworkingConfig.EndpointsConfig
	if co.HostConfig.NetworkMode != "a" || len(eps) != 2 || eps["b"] == nil ||
		!slices.Equal(eps["a"].Aliases, []string{"x"}) || eps["a"].IPAMConfig.IPv4Address.String() != "10.1.0.5" {
		t.Errorf("long syntax: mode %q eps %+v", co.HostConfig.NetworkMode, eps)
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--network-alias", "x"}, "network-scoped aliases are only supported for user-defined networks"},
		{[]string{"--network", "bridge", "--network-alias", "x"}, "network-scoped aliases are only supported for user-defined networks"},
		{[]string{"--network", "name=a,alias=x", "--network-alias", "y"}, "cannot specify both --network-alias and per-network alias"},
		{[]string{"--network", "a", "--network", "host"}, "cannot attach both user-defined and non-user-defined network-modes"},
		{[]string{"--network", "a", "--network", "a"}, `network "a" is specified multiple times`},
		{[]string{"--network", "name=a,bogus=1"}, "invalid field key bogus"},
		{[]string{"--network", "alias=a"}, "network name/id is not specified"},
		{[]string{"--ip", "10.0.0.300"}, `invalid argument "10.0.0.300" for "--ip" flag`},
		{[]string{"--ip", "fd00::1"}, "not an IPv4 address"},
		{[]string{"--ip6", "10.0.0.1"}, "not an IPv6 address"},
		{[]string{"--mac-address", "zz"}, "zz is not a valid mac address"},
		{[]string{"--dns", "8.8.8"}, "IP address is not correctly formatted: 8.8.8"},
		{[]string{"--dns-search", "-bad-"}, "-bad- is not a valid domain"},
		{[]string{"--add-host", "nohost"}, `bad format for add-host: "nohost"`},
		{[]string{"--add-host", "h:notanip"}, `invalid IP address in add-host: "notanip"`},
		{[]string{"--expose", "http"}, "invalid range format for --expose"},
		{[]string{"-p", "8080:80/icmp"}, "invalid proto: icmp"},
	} {
		_, err := parseArgs(t, append(tc.args, "busybox")...)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
		}
	}
}

func TestNetworkCreateIPAM(t *testing.T) {
	o := &networkCreateOptions{
		ipamDriver:   "default",
		subnets:      []string{"10.50.0.0/16", "fd00:50::/64"},
		ipRanges:     []string{"10.50.1.0/24"},
		gws:          []string{"10.50.0.254", "fd00:50::1"},
		auxAddresses: listValue{"router=10.50.0.2"},
	}
	ipam, err := o.ipamConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := ipam.Config
	if len(c) != 2 || c[0].Subnet.String() != "10.50.0.0/16" || c[0].IPRange.String() != "10.50.1.0/24" ||
		c[0].Gateway.String() != "10.50.0.254" || c[0].AuxAddress["router"].String() != "10.50.0.2" ||
		c[1].Gateway.String() != "fd00:50::1" {
		t.Fatalf("ipam %+v", ipam)
	}
	for _, tc := range []struct {
		o   networkCreateOptions
		err string
	}{
		{networkCreateOptions{gws: []string{"10.0.0.1"}}, "every ip-range or gateway must have a corresponding subnet"},
		{networkCreateOptions{subnets: []string{"10.0.0.0/8", "10.1.0.0/16"}}, "multiple overlapping subnet configuration is not supported"},
		{networkCreateOptions{subnets: []string{"10.0.0.0/33"}}, "invalid subnet"},
		{networkCreateOptions{subnets: []string{"10.0.0.0/24"}, gws: []string{"10.0.1.1"}}, "no matching subnet for gateway 10.0.1.1"},
		{networkCreateOptions{subnets: []string{"10.0.0.0/24"}, ipRanges: []string{"10.9.0.0/28"}}, "no matching subnet for range 10.9.0.0/28"},
		{networkCreateOptions{subnets: []string{"10.0.0.0/24"}, auxAddresses: listValue{"a=10.9.0.1"}}, "no matching subnet for aux-address 10.9.0.1"},
	} {
		if _, err := tc.o.ipamConfig(); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: err %v, want %q", tc.o, err, tc.err)
		}
	}
}

func TestNetworkListFormat(t *testing.T) {
	for _, tc := range []struct {
		format string
		quiet  bool
		want   string
	}{
		{"", false, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"},
		{"", true, "{{.ID}}"},
		{"table", true, "{{.ID}}"},
		{"{{.Name}}", true, "{{.Name}}"},
	} {
		if got := networkFormat(tc.format, tc.quiet); got != tc.want {
			t.Errorf("format %q quiet %v: %q", tc.format, tc.quiet, got)
		}
	}
	var out strings.Builder
	fm, err := newRowFormatter(&out, networkFormat("", false), networkHeader)
	if err != nil {
		t.Fatal(err)
	}
	n := network.Summary{Network: network.Network{ID: strings.Repeat("ab", 32), Name: "front", Driver: "bridge", Scope: "local"}}
	fm.Row(newNetworkRow(n, true))
	fm.Flush()
	want := "NETWORK ID     NAME      DRIVER    SCOPE\nabababababab   front     bridge    local\n"
	if out.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", out.String(), want)
	}
}

func TestNetworkConnectEndpoint(t *testing.T) {
	o := &networkConnectOptions{ip: "10.89.0.9", aliases: []string{"a", "b"}, driverOpts: []string{"k=v"}}
	es, err := o.endpoint()
	if err != nil || es.IPAMConfig.IPv4Address.String() != "10.89.0.9" || !slices.Equal(es.Aliases, []string{"a", "b"}) || es.DriverOpts["k"] != "v" {
		t.Fatalf("endpoint %+v, %v", es, err)
	}
	if es, _ := (&networkConnectOptions{}).endpoint(); es.IPAMConfig != nil {
		t.Errorf("no address asked, IPAMConfig %+v", es.IPAMConfig)
	}
	if _, err := (&networkConnectOptions{ip: "fd00::1"}).endpoint(); err == nil {
		t.Errorf("--ip with an IPv6 address accepted")
	}
}
