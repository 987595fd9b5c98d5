package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/errdefs"
)

// hostsHeader is docker's /etc/hosts preamble.
const hostsHeader = "127.0.0.1\tlocalhost\n" +
	"::1\tlocalhost ip6-localhost ip6-loopback\n" +
	"fe00::\tip6-localnet\n" +
	"ff00::\tip6-mcastprefix\n" +
	"ff02::1\tip6-allnodes\n" +
	"ff02::2\tip6-allrouters\n"

// Docker's fallback resolvers when the host has none usable.
var fallbackDNS = []string{"8.8.8.8", "8.8.4.4"}

// writeNetEtcFiles writes /etc/hosts and /etc/resolv.conf of a run on
// bridge networks: docker's preamble, --add-host entries (host-gateway is
// the first network's gateway), the container's own addresses with its
// hostname; a resolver as described at resolvConf.
func writeNetEtcFiles(dir string, cfg *ctypes.Config, hc *ctypes.HostConfig, st *endpointState) error {
	defer Span("net.etc-files")()
	var gw netip.Addr
	if len(st.Networks) > 0 {
		gw = st.Networks[0].Gateway
	}
	var b strings.Builder
	b.WriteString(hostsHeader)
	if err := writeExtraHosts(&b, hc.ExtraHosts, gw); err != nil {
		return err
	}
	for _, en := range st.Networks {
		for _, p := range []netip.Prefix{en.IPv4, en.IPv6} {
			if p.IsValid() {
				b.WriteString(hostsLine(cfg, p.Addr()))
			}
		}
	}
	userNet := len(st.Networks) > 0 && st.Networks[0].DNS
	resolv := resolvConf(hc, userNet, gw)
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(resolv), 0o644)
}

// writeExtraHosts writes --add-host entries ("name:ip", docker's API form;
// "name=ip" is accepted too).
func writeExtraHosts(b *strings.Builder, extra []string, gw netip.Addr) error {
	for _, h := range extra {
		name, ip, ok := strings.Cut(h, ":")
		if n, i, ok2 := strings.Cut(h, "="); ok2 {
			name, ip, ok = n, i, true
		}
		if !ok || name == "" {
			return classed(errdefs.ErrInvalid, "invalid argument %q for \"--add-host\" flag", h)
		}
		if ip == "host-gateway" {
			if !gw.IsValid() {
				return classed(errdefs.ErrInvalid, "unable to derive the IP value for host-gateway")
			}
			ip = gw.String()
		}
		ip = strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")
		if _, err := netip.ParseAddr(ip); err != nil || strings.ContainsAny(name, " \t\r\n#") {
			return classed(errdefs.ErrInvalid, "invalid argument %q for \"--add-host\" flag", h)
		}
		fmt.Fprintf(b, "%s\t%s\n", ip, name)
	}
	return nil
}

// resolvConf is a container's resolv.conf: on a user network the network's
// DNS responder (on the gateway) serves names, then the --dns servers; on
// the default bridge --dns replaces the nameservers, else the host's
// resolvers are copied except
// those on loopback, which the container cannot reach (docker then falls
// back to Google's). --dns-search and --dns-option replace the host's.
func resolvConf(hc *ctypes.HostConfig, userNet bool, gw netip.Addr) string {
	ns, search, opts := hostResolvConf()
	var given []string
	for _, a := range hc.DNS {
		given = append(given, a.String())
	}
	switch {
	case userNet && gw.IsValid():
		// The network's responder stays first so container names resolve
		// with --dns too (docker keeps its embedded resolver); the given
		// servers follow for when it does not answer.
		ns = append([]string{gw.String()}, given...)
	case len(given) > 0:
		ns = given
	default:
		ns = usableNameservers(ns)
	}
	if len(hc.DNSSearch) > 0 {
		search = hc.DNSSearch
	}
	if len(hc.DNSOptions) > 0 {
		opts = hc.DNSOptions
	}
	var b strings.Builder
	for _, n := range ns {
		fmt.Fprintf(&b, "nameserver %s\n", n)
	}
	if len(search) > 0 && !(len(search) == 1 && search[0] == ".") {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	if len(opts) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(opts, " "))
	}
	return b.String()
}

// usableNameservers drops loopback resolvers; none left is docker's
// fallback.
func usableNameservers(ns []string) []string {
	var out []string
	for _, n := range ns {
		a, err := netip.ParseAddr(n)
		if err != nil || a.Unmap().IsLoopback() {
			continue
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return fallbackDNS
	}
	return out
}

// hostResolvConf parses the host's resolv.conf. With systemd-resolved's
// stub (only 127.0.0.53) the upstream list it maintains is used instead,
// as docker does.
func hostResolvConf() (ns, search, opts []string) {
	ns, search, opts = parseResolvConf("/etc/resolv.conf")
	if len(usableNameservers(ns)) == len(ns) || len(ns) == 0 {
		return ns, search, opts
	}
	if len(ns) == 1 && ns[0] == "127.0.0.53" {
		if ns2, s2, _ := parseResolvConf("/run/systemd/resolve/resolv.conf"); len(ns2) > 0 {
			if len(search) == 0 {
				search = s2
			}
			return ns2, search, opts
		}
	}
	return ns, search, opts
}

func parseResolvConf(path string) (ns, search, opts []string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			ns = append(ns, f[1])
		case "search", "domain":
			search = f[1:]
		case "options":
			opts = append(opts, f[1:]...)
		}
	}
	return ns, search, opts
}

// extraHosts renders --add-host for the hosts file written at create (none
// and host modes keep it; bridge modes rewrite it at start). host-gateway
// is the default bridge's gateway, as docker's default host-gateway-ip.
func (e *Engine) extraHosts(hc *ctypes.HostConfig) (string, error) {
	if len(hc.ExtraHosts) == 0 || hc.NetworkMode.IsContainer() {
		return "", nil
	}
	var gw netip.Addr
	for _, h := range hc.ExtraHosts {
		if strings.HasSuffix(h, "host-gateway") {
			store, _, err := e.networks()
			if err != nil {
				return "", err
			}
			if br, err := store.Get("bridge"); err == nil && len(br.Subnets) > 0 {
				gw = br.Subnets[0].Gateway
			}
			break
		}
	}
	var b strings.Builder
	if err := writeExtraHosts(&b, hc.ExtraHosts, gw); err != nil {
		return "", err
	}
	return b.String(), nil
}

// validateDNSOptions refuses --dns-search and --dns-option values that
// would add lines to resolv.conf (the API takes any string).
func validateDNSOptions(hc *ctypes.HostConfig) error {
	for _, v := range append(append([]string{}, hc.DNSSearch...), hc.DNSOptions...) {
		if v == "" || strings.ContainsAny(v, " \t\r\n") {
			return classed(errdefs.ErrInvalid, "invalid DNS search domain or option %q", v)
		}
	}
	return nil
}

// writeExtraHostsTo checks --add-host entries at create (host-gateway is
// resolved at start, so a stand-in gateway is used here).
func writeExtraHostsTo(extra []string) (string, error) {
	var b strings.Builder
	err := writeExtraHosts(&b, extra, netip.IPv4Unspecified())
	return b.String(), err
}

// hostsLine is the /etc/hosts entry of one address of the container.
func hostsLine(cfg *ctypes.Config, a netip.Addr) string {
	names := cfg.Hostname
	if cfg.Domainname != "" {
		names = cfg.Hostname + "." + cfg.Domainname + " " + cfg.Hostname
	}
	return a.String() + "\t" + names + "\n"
}

// updateHostsFile adds (connect) or removes (disconnect) the entries of
// one interface's addresses in a running container's /etc/hosts, as
// docker does. The file is bind-mounted by inode: it is rewritten in
// place, never replaced.
func updateHostsFile(dir string, cfg *ctypes.Config, en endpointNet, add bool) error {
	path := filepath.Join(dir, "hosts")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var addrs []netip.Addr
	for _, p := range []netip.Prefix{en.IPv4, en.IPv6} {
		if p.IsValid() {
			addrs = append(addrs, p.Addr())
		}
	}
	var out strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		f := strings.Fields(line)
		keep := true
		for _, a := range addrs {
			keep = keep && !(len(f) > 0 && f[0] == a.String())
		}
		if keep {
			out.WriteString(line)
		}
	}
	if add {
		for _, a := range addrs {
			out.WriteString(hostsLine(cfg, a))
		}
	}
	return os.WriteFile(path, []byte(out.String()), 0o644)
}
