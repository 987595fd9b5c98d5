package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

// netFlags are run/create's networking flags (docker's names and syntax).
type netFlags struct {
	networks            networkList
	aliases, publish    listValue
	expose, dnsOptions  listValue
	dns, dnsSearch      mappedList
	hosts               mappedList
	ip, ip6, macAddress string
	publishAll          bool
}

func addNetFlags(f *pflag.FlagSet, n *netFlags) {
	n.dns = mappedList{fn: validateIPAddress}
	n.dnsSearch = mappedList{fn: validateDNSSearch}
	n.hosts = mappedList{fn: validateExtraHost}
	f.Var(&n.networks, "network", "Connect a container to a network")
	f.Var(&n.networks, "net", "Connect a container to a network")
	_ = f.MarkHidden("net")
	f.Var(&n.aliases, "network-alias", "Add network-scoped alias for the container")
	f.Var(&n.aliases, "net-alias", "Add network-scoped alias for the container")
	_ = f.MarkHidden("net-alias")
	f.Var(&n.hosts, "add-host", "Add a custom host-to-IP mapping (host:ip)")
	f.Var(&n.dns, "dns", "Set custom DNS servers")
	f.Var(&n.dnsOptions, "dns-option", "Set DNS options")
	f.Var(&n.dnsOptions, "dns-opt", "Set DNS options")
	_ = f.MarkHidden("dns-opt")
	f.Var(&n.dnsSearch, "dns-search", "Set custom DNS search domains")
	f.Var(&n.expose, "expose", "Expose a port or a range of ports")
	f.StringVar(&n.ip, "ip", "", "IPv4 address (e.g., 172.30.100.104)")
	f.StringVar(&n.ip6, "ip6", "", "IPv6 address (e.g., 2001:db8::33)")
	f.StringVar(&n.macAddress, "mac-address", "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
	f.VarP(&n.publish, "publish", "p", "Publish a container's port(s) to the host")
	f.BoolVarP(&n.publishAll, "publish-all", "P", false, "Publish all exposed ports to random ports")
}

// apply fills the networking parts of Config and HostConfig and returns the
// endpoint settings (nil when nothing but the mode was asked).
func (n *netFlags) apply(cfg *ctypes.Config, hc *ctypes.HostConfig) (*network.NetworkingConfig, error) {
	exposed, bindings, err := parsePublish(n.publish)
	if err != nil {
		return nil, err
	}
	if err := addExposed(exposed, n.expose); err != nil {
		return nil, err
	}
	if len(exposed) > 0 {
		cfg.ExposedPorts = exposed
	}
	if len(bindings) > 0 {
		hc.PortBindings = bindings
	}
	hc.PublishAllPorts = n.publishAll
	for _, d := range n.dns.listValue {
		hc.DNS = append(hc.DNS, netip.MustParseAddr(d)) // validated when set
	}
	hc.DNSSearch, hc.DNSOptions, hc.ExtraHosts = n.dnsSearch.listValue, n.dnsOptions, n.hosts.listValue
	if len(n.networks) > 0 {
		hc.NetworkMode = ctypes.NetworkMode(n.networks[0].target)
	}
	eps, err := n.endpoints()
	if err != nil || len(eps) == 0 {
		return nil, err
	}
	return &network.NetworkingConfig{EndpointsConfig: eps}, nil
}

// endpoints is docker's parseNetworkOpts: --network-alias, --ip, --ip6 and
// --mac-address belong to the first network (the default bridge when none
// is named); an endpoint with nothing set is left out.
func (n *netFlags) endpoints() (map[string]*network.EndpointSettings, error) {
	list := n.networks
	if len(list) == 0 {
		list = networkList{{target: "bridge", implicit: true}}
	}
	eps := map[string]*network.EndpointSettings{}
	userDefined, builtin := false, false
	for i, a := range list {
		if i == 0 {
			if err := n.applyFirst(&a); err != nil {
				return nil, err
			}
		}
		mode := ctypes.NetworkMode(a.target)
		if mode.IsUserDefined() {
			userDefined = true
		} else if !a.implicit {
			builtin = true
		}
		ep, err := a.endpoint()
		if err != nil {
			return nil, err
		}
		if _, dup := eps[a.target]; dup {
			return nil, fmt.Errorf("network %q is specified multiple times", a.target)
		}
		if len(list) > 1 || !isZeroEndpoint(ep) {
			eps[a.target] = ep
		}
	}
	if userDefined && builtin {
		return nil, errors.New("conflicting options: cannot attach both user-defined and non-user-defined network-modes")
	}
	return eps, nil
}

// applyFirst merges the short flags into the first network's options,
// refusing both spellings at once as docker does.
func (n *netFlags) applyFirst(a *netAttachment) error {
	switch {
	case len(a.aliases) > 0 && len(n.aliases) > 0:
		return errors.New("conflicting options: cannot specify both --network-alias and per-network alias")
	case a.ip.IsValid() && n.ip != "":
		return errors.New("conflicting options: cannot specify both --ip and per-network IPv4 address")
	case a.ip6.IsValid() && n.ip6 != "":
		return errors.New("conflicting options: cannot specify both --ip6 and per-network IPv6 address")
	case a.mac != "" && n.macAddress != "":
		return errors.New("conflicting options: cannot specify both --mac-address and per-network MAC address")
	}
	a.aliases = append(a.aliases, n.aliases...)
	var err error
	if n.ip != "" {
		if a.ip, err = parseFamilyAddr("ip", n.ip, true); err != nil {
			return err
		}
	}
	if n.ip6 != "" {
		if a.ip6, err = parseFamilyAddr("ip6", n.ip6, false); err != nil {
			return err
		}
	}
	if n.macAddress != "" {
		a.mac = n.macAddress
	}
	return nil
}

// parseFamilyAddr parses --ip/--ip6 with pflag's wording for a bad IP.
func parseFamilyAddr(flag, s string, v4 bool) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("invalid argument %q for \"--%s\" flag: invalid string being converted to IP address: %s", s, flag, s)
	}
	a = a.Unmap()
	if v4 != a.Is4() {
		want := "IPv4"
		if !v4 {
			want = "IPv6"
		}
		return netip.Addr{}, fmt.Errorf("invalid argument %q for \"--%s\" flag: not an %s address", s, flag, want)
	}
	return a, nil
}

func isZeroEndpoint(ep *network.EndpointSettings) bool {
	return ep.IPAMConfig == nil && len(ep.Aliases) == 0 && len(ep.MacAddress) == 0 &&
		len(ep.DriverOpts) == 0 && ep.GwPriority == 0
}

// netAttachment is one --network value.
type netAttachment struct {
	target     string
	aliases    []string
	ip, ip6    netip.Addr
	mac        string
	driverOpts map[string]string
	gwPriority int
	implicit   bool // the default bridge, not named by the user
}

// endpoint is docker's parseNetworkAttachmentOpt.
func (a netAttachment) endpoint() (*network.EndpointSettings, error) {
	if strings.TrimSpace(a.target) == "" {
		return nil, errors.New("no name set for network")
	}
	if !ctypes.NetworkMode(a.target).IsUserDefined() && len(a.aliases) > 0 {
		return nil, errors.New("network-scoped aliases are only supported for user-defined networks")
	}
	ep := &network.EndpointSettings{Aliases: a.aliases, DriverOpts: a.driverOpts, GwPriority: a.gwPriority}
	if a.ip.IsValid() || a.ip6.IsValid() {
		ep.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: a.ip, IPv6Address: a.ip6}
	}
	if a.mac != "" {
		hw, err := net.ParseMAC(strings.TrimSpace(a.mac))
		if err != nil {
			return nil, fmt.Errorf("%s is not a valid mac address", a.mac)
		}
		ep.MacAddress = network.HardwareAddr(hw)
	}
	return ep, nil
}

// networkList is the repeatable --network flag: a name ("mynet", "host",
// "container:web") or docker's long syntax "name=mynet,alias=a,ip=…".
type networkList []netAttachment

var longNetworkSyntax = regexp.MustCompile(`\w+=\w+(,\w+=\w+)*`)

func (l *networkList) Set(value string) error {
	if !longNetworkSyntax.MatchString(value) {
		*l = append(*l, netAttachment{target: value})
		return nil
	}
	fields, err := csv.NewReader(strings.NewReader(value)).Read()
	if err != nil {
		return err
	}
	var a netAttachment
	for _, field := range fields {
		if err := a.setField(field); err != nil {
			return err
		}
	}
	if a.target == "" {
		return errors.New("network name/id is not specified")
	}
	*l = append(*l, a)
	return nil
}

// setField applies one key=value of the long syntax.
func (a *netAttachment) setField(field string) error {
	key, val, ok := strings.Cut(field, "=")
	key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
	if !ok || key == "" {
		return fmt.Errorf("invalid field %s", field)
	}
	var err error
	switch key {
	case "name":
		a.target = val
	case "alias":
		a.aliases = append(a.aliases, val)
	case "ip", "ip6":
		var addr netip.Addr
		if addr, err = netip.ParseAddr(val); err == nil {
			if key == "ip" {
				a.ip = addr
			} else {
				a.ip6 = addr
			}
		}
	case "mac-address":
		a.mac = val
	case "driver-opt":
		k, v, ok := strings.Cut(val, "=")
		if !ok || k == "" {
			return errors.New("invalid key value pair format in driver options")
		}
		if a.driverOpts == nil {
			a.driverOpts = map[string]string{}
		}
		a.driverOpts[k] = v
	case "gw-priority":
		if a.gwPriority, err = strconv.Atoi(val); err != nil {
			return fmt.Errorf("invalid gw-priority (%s): %w", val, errors.Unwrap(err))
		}
	default:
		return errors.New("invalid field key " + key)
	}
	return err
}

func (l *networkList) String() string { return "" }
func (l *networkList) Type() string   { return "network" }

// mappedList is a repeatable flag whose values are checked and normalised
// as they are set (docker's ListOpts with a validator).
type mappedList struct {
	listValue
	fn func(string) (string, error)
}

func (l *mappedList) Set(s string) error {
	v, err := l.fn(s)
	if err != nil {
		return err
	}
	return l.listValue.Set(v)
}

// validateIPAddress is docker's --dns check; the address keeps its
// canonical form.
func validateIPAddress(s string) (string, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("IP address is not correctly formatted: %s", s)
	}
	return a.Unmap().String(), nil
}

var (
	alphaRegexp  = regexp.MustCompile(`[a-zA-Z]`)
	domainRegexp = regexp.MustCompile(`^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])))*)\.?\s*$`)
)

// validateDNSSearch is docker's --dns-search check ("." = no search).
func validateDNSSearch(s string) (string, error) {
	if s = strings.Trim(s, " "); s == "." {
		return s, nil
	}
	if alphaRegexp.FindString(s) == "" {
		return "", fmt.Errorf("%s is not a valid domain", s)
	}
	if m := domainRegexp.FindStringSubmatch(s); len(m) > 0 && len(m[1]) < 255 {
		return m[1], nil
	}
	return "", fmt.Errorf("%s is not a valid domain", s)
}

// validateExtraHost is docker's --add-host check: "name:ip" or "name=ip",
// the address optionally in brackets, or the word host-gateway. It returns
// the "name:ip" form the engine expects.
func validateExtraHost(s string) (string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		k, v, ok = strings.Cut(s, ":")
	}
	if !ok || k == "" || strings.Contains(k, ":") {
		return "", fmt.Errorf("bad format for add-host: %q", s)
	}
	if v != "host-gateway" {
		if len(v) > 2 && v[0] == '[' && v[len(v)-1] == ']' {
			v = v[1 : len(v)-1]
		}
		if _, err := netip.ParseAddr(strings.TrimSpace(v)); err != nil {
			return "", fmt.Errorf("invalid IP address in add-host: %q", v)
		}
	}
	return k + ":" + v, nil
}
