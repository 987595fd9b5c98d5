package dns

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/miekg/dns"
	"github.com/onggi/onggi/errdefs"
)

// Records is the content of a network's records file, the only channel from
// the engine to its responder: the addresses to listen on and the names to
// answer. The engine rewrites it (WriteRecords) whenever an endpoint joins or
// leaves; the responder notices on its next query.
type Records struct {
	// Listen holds the addresses the responder binds (UDP and TCP): a bare
	// address ("10.89.1.1", "fd00::1") means port 53, "127.0.0.1:5353" or
	// "[::1]:5353" names the port (tests use that to avoid the host's :53).
	Listen []string `json:"listen"`
	// Names maps a lower-case name (container name, alias, service name)
	// to the addresses it resolves to, several for replicas.
	Names map[string][]string `json:"names"`
	// Subnets optionally lists the network's prefixes; a query from an
	// address inside one is served even before that address has a name.
	// Queries from anywhere else than these, a named address, a listen
	// address or loopback are refused (see doc.go).
	Subnets []string `json:"subnets,omitempty"`
}

// RecordsPath is the records file of network netID under runroot.
func RecordsPath(runroot, netID string) string {
	return filepath.Join(dnsDir(runroot), netID+".json")
}

func dnsDir(runroot string) string { return filepath.Join(runroot, "network", "dns") }

func pidPath(runroot, netID string) string {
	return filepath.Join(dnsDir(runroot), netID+".pid")
}

func lockPath(runroot, netID string) string {
	return filepath.Join(dnsDir(runroot), netID+".lock")
}

// checkNetID keeps a network ID a plain file name: it is joined into paths.
func checkNetID(netID string) error {
	if netID == "" || netID == "." || netID == ".." || strings.ContainsAny(netID, "/\x00") {
		return errdefs.Errorf(errdefs.ErrInvalid, "invalid network id %q", netID)
	}
	return nil
}

// WriteRecords atomically replaces network netID's records file (a temporary
// file renamed over it), so the responder never reads half a file. Names are
// lower-cased, as DNS names compare case-insensitively.
func WriteRecords(runroot, netID string, r Records) error {
	if err := checkNetID(netID); err != nil {
		return err
	}
	norm, err := normalize(r)
	if err != nil {
		return fmt.Errorf("writing dns records of network %s: %w", netID, err)
	}
	data, err := json.Marshal(norm)
	if err != nil {
		return fmt.Errorf("writing dns records of network %s: %w", netID, err)
	}
	dir := dnsDir(runroot)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing dns records of network %s: %w", netID, err)
	}
	f, err := os.CreateTemp(dir, "."+netID+".json.*")
	if err != nil {
		return fmt.Errorf("writing dns records of network %s: %w", netID, err)
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), RecordsPath(runroot, netID))
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing dns records of network %s: %w", netID, werr)
	}
	return nil
}

// ReadRecords reads a records file; a missing file is ErrNotFound.
func ReadRecords(path string) (Records, error) {
	var r Records
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, errdefs.Errorf(errdefs.ErrNotFound, "dns records %s not found", path)
	}
	if err != nil {
		return r, fmt.Errorf("reading dns records: %w", err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, errdefs.Errorf(errdefs.ErrInvalid, "reading dns records %s: %w", path, err)
	}
	return r, nil
}

// normalize validates r and lower-cases its names, merging names that only
// differed by case.
func normalize(r Records) (Records, error) {
	out := Records{Listen: r.Listen, Subnets: r.Subnets, Names: map[string][]string{}}
	for _, l := range r.Listen {
		if _, err := ListenAddr(l); err != nil {
			return out, err
		}
	}
	for _, s := range r.Subnets {
		if _, err := netip.ParsePrefix(s); err != nil {
			return out, errdefs.Errorf(errdefs.ErrInvalid, "invalid subnet %q", s)
		}
	}
	for name, addrs := range r.Names {
		key := canonical(name)
		if key == "" {
			return out, errdefs.Errorf(errdefs.ErrInvalid, "invalid dns name %q", name)
		}
		for _, a := range addrs {
			if _, err := netip.ParseAddr(a); err != nil {
				return out, errdefs.Errorf(errdefs.ErrInvalid, "invalid address %q for name %q", a, name)
			}
			if !contains(out.Names[key], a) {
				out.Names[key] = append(out.Names[key], a)
			}
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// canonical is the lookup key of a name: lower-case, no trailing dot.
func canonical(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// ListenAddr parses a records file's listen entry: a bare address means
// port 53.
func ListenAddr(s string) (netip.AddrPort, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a, 53), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return ap, errdefs.Errorf(errdefs.ErrInvalid, "invalid listen address %q", s)
	}
	return ap, nil
}

// table is the parsed, query-ready form of a Records.
type table struct {
	v4, v6  map[string][]netip.Addr
	names   map[string]bool
	ptr     map[string][]string // reverse name (canonical) → names, sorted
	allowed map[netip.Addr]bool // sources that may query
	subnets []netip.Prefix
	rr      map[string]*atomic.Uint32 // round-robin position per name
}

func newTable(r Records) *table {
	t := &table{
		v4: map[string][]netip.Addr{}, v6: map[string][]netip.Addr{},
		names: map[string]bool{}, ptr: map[string][]string{},
		allowed: map[netip.Addr]bool{},
	}
	for name, addrs := range r.Names {
		key := canonical(name)
		if key == "" {
			continue
		}
		t.names[key] = true
		for _, s := range addrs {
			a, err := netip.ParseAddr(s)
			if err != nil {
				continue // one bad entry must not take the others down
			}
			a = a.Unmap()
			if a.Is4() {
				t.v4[key] = append(t.v4[key], a)
			} else {
				t.v6[key] = append(t.v6[key], a)
			}
			if arpa, err := dns.ReverseAddr(a.String()); err == nil {
				arpa = canonical(arpa)
				t.ptr[arpa] = append(t.ptr[arpa], key)
			}
			t.allowed[a] = true
		}
	}
	t.rr = newCounters(t.names)
	for _, names := range t.ptr {
		sort.Strings(names)
	}
	for _, l := range r.Listen {
		if ap, err := ListenAddr(l); err == nil {
			t.allowed[ap.Addr().Unmap()] = true
		}
	}
	for _, s := range r.Subnets {
		if p, err := netip.ParsePrefix(s); err == nil {
			t.subnets = append(t.subnets, p.Masked())
		}
	}
	return t
}

// permits reports whether a query from src may be answered.
func (t *table) permits(src netip.Addr) bool {
	src = src.Unmap()
	if src.IsLoopback() || t.allowed[src] {
		return true
	}
	for _, p := range t.subnets {
		if p.Contains(src) {
			return true
		}
	}
	return false
}
