package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
)

// parsePublish turns -p specs into the exposed ports and the bindings, as
// docker's CLI does with go-connections' nat.ParsePortSpecs (its syntax and
// messages; onggi does not carry that module):
//
//	80  8080:80  8080:80/udp  127.0.0.1:8080:80  127.0.0.1::80  [::1]:8080:80
//	8000-8010:80-90  8000-8010:80 (one port, a host range to pick from)
//	published=8080,target=80,protocol=udp (the long syntax)
func parsePublish(specs []string) (network.PortSet, network.PortMap, error) {
	exposed, bindings := network.PortSet{}, network.PortMap{}
	for _, raw := range specs {
		spec, err := standardPortNotation(raw)
		if err != nil {
			return nil, nil, err
		}
		maps, err := parsePortSpec(spec)
		if err != nil {
			return nil, nil, err
		}
		for _, m := range maps {
			exposed[m.port] = struct{}{}
			bindings[m.port] = append(bindings[m.port], m.binding)
		}
	}
	return exposed, bindings, nil
}

// standardPortNotation converts the long syntax to "published:target/proto".
func standardPortNotation(spec string) (string, error) {
	if !strings.Contains(spec, "=") {
		return spec, nil
	}
	params := map[string]string{"protocol": "tcp"}
	for _, param := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(param, "=")
		if !ok || k == "" {
			return "", fmt.Errorf("invalid publish opts format (should be name=value but got '%s')", param)
		}
		params[k] = v
	}
	return fmt.Sprintf("%s:%s/%s", params["published"], params["target"], params["protocol"]), nil
}

type portMapping struct {
	port    network.Port
	binding network.PortBinding
}

// splitPortParts splits "[ip:]host:container"; the address may itself hold
// colons (IPv6), so only the last two fields are ports.
func splitPortParts(raw string) (ip, host, ctr string) {
	parts := strings.Split(raw, ":")
	n := len(parts)
	switch n {
	case 1:
		return "", "", parts[0]
	case 2:
		return "", parts[0], parts[1]
	}
	return strings.Join(parts[:n-2], ":"), parts[n-2], parts[n-1]
}

// parsePortSpec parses one "[ip:][host:]container[/proto]" spec.
func parsePortSpec(raw string) ([]portMapping, error) {
	ipStr, hostPort, ctrPort := splitPortParts(raw)
	ctrPort, proto, _ := strings.Cut(ctrPort, "/")
	if ctrPort == "" {
		return nil, fmt.Errorf("no port specified: %s<empty>", raw)
	}
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	switch proto {
	case "tcp", "udp", "sctp":
	default:
		return nil, errors.New("invalid proto: " + proto)
	}
	ip, err := parseBindIP(ipStr)
	if err != nil {
		return nil, err
	}
	start, end, err := parsePortRangeSpec(ctrPort)
	if err != nil {
		return nil, errors.New("invalid containerPort: " + ctrPort)
	}
	var hStart, hEnd int
	if hostPort != "" {
		if hStart, hEnd, err = parsePortRangeSpec(hostPort); err != nil {
			return nil, errors.New("invalid hostPort: " + hostPort)
		}
		// A host range with one container port is a range to pick from.
		if end-start != hEnd-hStart && end != start {
			return nil, fmt.Errorf("invalid ranges specified for container and host Ports: %s and %s", ctrPort, hostPort)
		}
	}
	count := end - start + 1
	out := make([]portMapping, 0, count)
	for i := range count {
		hp := ""
		if hostPort != "" {
			hp = strconv.Itoa(hStart + i)
			if count == 1 && hStart != hEnd {
				hp += "-" + strconv.Itoa(hEnd)
			}
		}
		p, _ := network.PortFrom(uint16(start+i), network.IPProtocol(proto))
		out = append(out, portMapping{port: p, binding: network.PortBinding{HostIP: ip, HostPort: hp}})
	}
	return out, nil
}

// parseBindIP parses the host address, in brackets or not ("" = all).
func parseBindIP(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	if s[0] == '[' {
		if !strings.HasSuffix(s, "]") || len(s) < 3 {
			return netip.Addr{}, fmt.Errorf("invalid IP address %v", s)
		}
		s = s[1 : len(s)-1]
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, errors.New("invalid IP address: " + s)
	}
	return ip.Unmap(), nil
}

// parsePortRangeSpec parses "N" or "N-M" (0-65535, M >= N).
func parsePortRangeSpec(s string) (int, int, error) {
	if s == "" {
		return 0, 0, errors.New("empty string specified for ports")
	}
	a, b, isRange := strings.Cut(s, "-")
	start, err := parsePortNum(a)
	if err != nil {
		return 0, 0, err
	}
	if !isRange || a == b {
		return start, start, nil
	}
	end, err := parsePortNum(b)
	if err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, errors.New("invalid port range: " + s)
	}
	return start, end, nil
}

func parsePortNum(s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return int(n), nil
}

// addExposed adds --expose ports ("80", "80/udp", "8000-8010/tcp").
func addExposed(set network.PortSet, specs []string) error {
	for _, e := range specs {
		pr, err := network.ParsePortRange(e)
		if err != nil {
			return fmt.Errorf("invalid range format for --expose: %w", err)
		}
		for p := range pr.All() {
			set[p] = struct{}{}
		}
	}
	return nil
}
