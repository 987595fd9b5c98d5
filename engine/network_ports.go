package engine

import (
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/errdefs"
)

// portRequest is one -p/-P binding before its host port is chosen.
type portRequest struct {
	proto         string
	hostIP        netip.Addr
	lo, hi        uint16 // host port range; 0,0 = any ephemeral port
	containerPort uint16
}

// portRequests lists c's -p bindings and, with -P, the image's EXPOSE
// ports that -p does not bind, in a stable order (docker's CLI expands
// container port ranges into one entry per port before they get here).
func portRequests(cfg *ctypes.Config, hc *ctypes.HostConfig) ([]portRequest, error) {
	var out []portRequest
	for p, binds := range hc.PortBindings {
		if len(binds) == 0 {
			binds = []mnet.PortBinding{{}}
		}
		for _, b := range binds {
			r := portRequest{proto: string(p.Proto()), hostIP: b.HostIP, containerPort: p.Num()}
			lo, hi, err := parseHostPorts(b.HostPort)
			if err != nil {
				return nil, err
			}
			r.lo, r.hi = lo, hi
			out = append(out, r)
		}
	}
	if hc.PublishAllPorts && cfg != nil {
		for p := range cfg.ExposedPorts {
			if _, bound := hc.PortBindings[p]; !bound {
				out = append(out, portRequest{proto: string(p.Proto()), containerPort: p.Num()})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].containerPort != out[j].containerPort {
			return out[i].containerPort < out[j].containerPort
		}
		return out[i].proto < out[j].proto
	})
	return out, nil
}

// parseHostPorts parses a binding's HostPort: "" or "0" (ephemeral), "N",
// or "A-B" (the first free port of the range).
func parseHostPorts(s string) (lo, hi uint16, err error) {
	if s == "" || s == "0" {
		return 0, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	if !isRange {
		b = a
	}
	l, err1 := strconv.ParseUint(a, 10, 16)
	h, err2 := strconv.ParseUint(b, 10, 16)
	if err1 != nil || err2 != nil || l == 0 || h < l {
		return 0, 0, classed(errdefs.ErrInvalid, "invalid hostPort: %s", s)
	}
	return uint16(l), uint16(h), nil
}

// portTaken is the set of host ports other endpoints of this root hold.
type portTaken map[string][]netip.Addr // "proto/port" → host IPs

func (t portTaken) add(proto string, ip netip.Addr, port uint16) {
	k := proto + "/" + strconv.Itoa(int(port))
	t[k] = append(t[k], ip)
}

// clashes reports whether ip:port overlaps a taken binding: the same
// address, or either side bound to every address.
func (t portTaken) clashes(proto string, ip netip.Addr, port uint16) bool {
	for _, o := range t[proto+"/"+strconv.Itoa(int(port))] {
		if !o.IsValid() || o.IsUnspecified() || !ip.IsValid() || ip.IsUnspecified() || o == ip {
			return true
		}
	}
	return false
}

// resolvePorts chooses the host ports of c's bindings. Callers hold the
// network state lock, so eps (every other endpoint) is current and two
// parallel starts never choose one port. A port is free when no endpoint
// holds it, a bind test on the host address succeeds (a host process
// listening there would otherwise be shadowed silently by the DNAT) and
// no other onggi instance claimed it (claimPort).
func (e *Engine) resolvePorts(reqs []portRequest, eps []*endpointState, self string) ([]portBinding, error) {
	taken := portTaken{}
	for _, ep := range eps {
		if ep.ID == self {
			continue
		}
		for _, p := range ep.Ports {
			taken.add(p.Proto, p.HostIP, p.HostPort)
		}
	}
	eLo, eHi := ephemeralRange()
	var out []portBinding
	for _, r := range reqs {
		lo, hi, fixed := r.lo, r.hi, r.lo != 0
		if !fixed {
			lo, hi = eLo, eHi
		}
		port, ok := uint16(0), false
		for p := uint32(lo); p <= uint32(hi) && !ok; p++ {
			if !taken.clashes(r.proto, r.hostIP, uint16(p)) && bindFree(r.proto, r.hostIP, uint16(p)) &&
				e.claimPort(r.proto, uint16(p)) {
				port, ok = uint16(p), true
			}
		}
		if !ok {
			return nil, portError(r, fixed)
		}
		taken.add(r.proto, r.hostIP, port)
		out = append(out, portBinding{Proto: r.proto, HostIP: r.hostIP, HostPort: port, ContainerPort: r.containerPort})
	}
	return out, nil
}

func portError(r portRequest, fixed bool) error {
	ip := "0.0.0.0"
	if r.hostIP.IsValid() {
		ip = r.hostIP.String()
	}
	if !fixed {
		return classed(errdefs.ErrUnavailable, "failed to allocate a host port for %d/%s: all ports are allocated", r.containerPort, r.proto)
	}
	port := strconv.Itoa(int(r.lo))
	if r.hi != r.lo {
		port += "-" + strconv.Itoa(int(r.hi))
	}
	return classed(errdefs.ErrConflict, "driver failed programming external connectivity: Bind for %s failed: port is already allocated", net.JoinHostPort(ip, port))
}

// bindFree tries to bind the port on the host address (every address when
// unspecified). SCTP is not tested: there is no portable bind test.
func bindFree(proto string, ip netip.Addr, port uint16) bool {
	host := ""
	if ip.IsValid() {
		host = ip.String()
	}
	addr := net.JoinHostPort(host, strconv.Itoa(int(port)))
	switch proto {
	case "tcp":
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		l.Close()
	case "udp":
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}

// ephemeralRange is the kernel's local port range (docker allocates
// published ports from it too).
func ephemeralRange() (uint16, uint16) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 {
			lo, err1 := strconv.ParseUint(f[0], 10, 16)
			hi, err2 := strconv.ParseUint(f[1], 10, 16)
			if err1 == nil && err2 == nil && lo > 0 && hi >= lo {
				return uint16(lo), uint16(hi)
			}
		}
	}
	return 32768, 60999
}

// portMap is the bindings as the record and inspect show them. A binding
// without a host address is shown on 0.0.0.0 and, when the container has
// an IPv6 address (its port answers over IPv6 too), on :: as docker does.
func portMap(bs []portBinding, v6 bool) mnet.PortMap {
	pm := mnet.PortMap{}
	for _, b := range bs {
		p, ok := mnet.PortFrom(b.ContainerPort, mnet.IPProtocol(b.Proto))
		if !ok {
			continue
		}
		port := strconv.Itoa(int(b.HostPort))
		if b.HostIP.IsValid() {
			pm[p] = append(pm[p], mnet.PortBinding{HostIP: b.HostIP, HostPort: port})
			continue
		}
		pm[p] = append(pm[p], mnet.PortBinding{HostIP: netip.IPv4Unspecified(), HostPort: port})
		if v6 {
			pm[p] = append(pm[p], mnet.PortBinding{HostIP: netip.IPv6Unspecified(), HostPort: port})
		}
	}
	return pm
}

// portClaimDir holds one file per host port an onggi instance publishes
// ("tcp-8080", content: the instance's runroot). DNAT rules hold no socket,
// so without it two instances (parallel test roots, say) would pick one
// ephemeral port and shadow each other. /run is wiped by a reboot with
// the rules. A variable for tests.
var portClaimDir = "/run/lock/onggi-ports"

func portClaimPath(proto string, port uint16) string {
	return filepath.Join(portClaimDir, proto+"-"+strconv.Itoa(int(port)))
}

// claimPort claims proto/port for this instance; a claim of this instance
// (another of its containers on another address) or a stale one (its
// instance publishes the port no more) is fine.
func (e *Engine) claimPort(proto string, port uint16) bool {
	path := portClaimPath(proto, port)
	for try := 0; try < 2; try++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.WriteString(e.runroot)
			f.Close()
			return err == nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			if os.MkdirAll(portClaimDir, 0o755) != nil {
				return true // no claims possible: the bind test stands alone
			}
			continue
		}
		owner, rerr := os.ReadFile(path)
		if rerr != nil {
			continue // released meanwhile
		}
		if string(owner) == e.runroot {
			return true
		}
		if !publishedBy(string(owner), proto, port) {
			_ = os.Remove(path)
			continue
		}
		return false
	}
	return false
}

// publishedBy reports whether the instance of runroot still publishes
// proto/port (any of its endpoint files holds it).
func publishedBy(runroot, proto string, port uint16) bool {
	other := &Engine{runroot: runroot}
	eps, err := other.allEndpoints()
	if err != nil {
		return true // cannot tell: leave the claim alone
	}
	for _, ep := range eps {
		for _, p := range ep.Ports {
			if p.Proto == proto && p.HostPort == port {
				return true
			}
		}
	}
	return false
}

// releasePortClaims drops the claims of ports no endpoint of this instance
// (eps, without the one going) publishes any more. Callers hold the state
// lock.
func (e *Engine) releasePortClaims(ports []portBinding, eps []*endpointState) {
	for _, p := range ports {
		still := false
		for _, ep := range eps {
			for _, q := range ep.Ports {
				still = still || (q.Proto == p.Proto && q.HostPort == p.HostPort)
			}
		}
		path := portClaimPath(p.Proto, p.HostPort)
		if owner, err := os.ReadFile(path); !still && err == nil && string(owner) == e.runroot {
			_ = os.Remove(path)
		}
	}
}
