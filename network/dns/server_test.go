package dns

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/onggi/onggi/errdefs"
)

const testNet = "0123456789ab"

// writeTestRecords writes r as network testNet's records under a new
// runroot and returns the file's path.
func writeTestRecords(t *testing.T, runroot string, r Records) string {
	t.Helper()
	if err := WriteRecords(runroot, testNet, r); err != nil {
		t.Fatal(err)
	}
	return RecordsPath(runroot, testNet)
}

// startServer serves cfg on 127.0.0.1:<random> until the test ends; done
// receives Serve's error when it returns.
func startServer(t *testing.T, cfg Config) (s *Server, done chan error) {
	t.Helper()
	if cfg.Listen == nil {
		cfg.Listen = []string{"127.0.0.1:0"}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return s, done
}

func query(t *testing.T, addr, proto, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg).SetQuestion(name, qtype)
	c := &dns.Client{Net: proto, Timeout: 5 * time.Second}
	resp, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("query %s %s over %s: %v", name, dns.TypeToString[qtype], proto, err)
	}
	return resp
}

// answers lists the addresses (or PTR targets) of a reply, in order.
func answers(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		case *dns.PTR:
			out = append(out, rr.Ptr)
		}
	}
	return out
}

var testRecords = Records{
	Listen: []string{"10.89.1.1"},
	Names: map[string][]string{
		"web":    {"10.89.1.2"},
		"svc":    {"10.89.1.2", "10.89.1.3"},
		"v6only": {"fd00::2"},
		"dual":   {"10.89.1.4", "fd00::4"},
		"Mixed":  {"10.89.1.5"},
	},
}

func TestLocalAnswers(t *testing.T) {
	path := writeTestRecords(t, t.TempDir(), testRecords)
	s, _ := startServer(t, Config{RecordsPath: path})
	cases := []struct {
		name  string
		qtype uint16
		want  string
	}{
		{"web.", dns.TypeA, "10.89.1.2"},
		{"WeB.", dns.TypeA, "10.89.1.2"},
		{"mixed.", dns.TypeA, "10.89.1.5"},
		{"MIXED.", dns.TypeA, "10.89.1.5"},
		{"v6only.", dns.TypeAAAA, "fd00::2"},
		{"dual.", dns.TypeA, "10.89.1.4"},
		{"dual.", dns.TypeAAAA, "fd00::4"},
		{"v6only.", dns.TypeA, ""}, // known name, no A: NOERROR, empty
		{"web.", dns.TypeAAAA, ""},
		{"web.", dns.TypeMX, ""},
		{"web.", dns.TypePTR, ""},
	}
	for _, proto := range []string{"udp", "tcp"} {
		for _, c := range cases {
			m := query(t, s.Addr(), proto, c.name, c.qtype)
			got := strings.Join(answers(m), ",")
			if m.Rcode != dns.RcodeSuccess || !m.Authoritative || got != c.want {
				t.Errorf("%s %s/%s: rcode %s aa %v answers %q, want NOERROR aa %q",
					proto, c.name, dns.TypeToString[c.qtype], dns.RcodeToString[m.Rcode], m.Authoritative, got, c.want)
			}
			for _, rr := range m.Answer {
				if rr.Header().Ttl != 0 || rr.Header().Name != c.name {
					t.Errorf("%s: answer header %v", c.name, rr.Header())
				}
			}
		}
	}
}

func TestRoundRobin(t *testing.T) {
	path := writeTestRecords(t, t.TempDir(), testRecords)
	s, _ := startServer(t, Config{RecordsPath: path})
	first := query(t, s.Addr(), "udp", "svc.", dns.TypeA)
	second := query(t, s.Addr(), "udp", "svc.", dns.TypeA)
	a, b := answers(first), answers(second)
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("answers %v and %v, want two addresses each", a, b)
	}
	if a[0] == b[0] || a[0] != b[1] || a[1] != b[0] {
		t.Errorf("two queries answered %v then %v, want the order rotated", a, b)
	}
}

func TestPTR(t *testing.T) {
	path := writeTestRecords(t, t.TempDir(), testRecords)
	s, _ := startServer(t, Config{RecordsPath: path})
	arpa, _ := dns.ReverseAddr("10.89.1.2")
	m := query(t, s.Addr(), "udp", arpa, dns.TypePTR)
	if got := strings.Join(answers(m), ","); got != "svc.,web." || !m.Authoritative {
		t.Errorf("PTR %s: %q aa %v, want svc.,web.", arpa, got, m.Authoritative)
	}
	arpa6, _ := dns.ReverseAddr("fd00::2")
	if got := answers(query(t, s.Addr(), "tcp", strings.ToUpper(arpa6), dns.TypePTR)); len(got) != 1 || got[0] != "v6only." {
		t.Errorf("PTR %s: %v, want v6only.", arpa6, got)
	}
}

func TestReload(t *testing.T) {
	runroot := t.TempDir()
	path := writeTestRecords(t, runroot, testRecords)
	s, _ := startServer(t, Config{RecordsPath: path})
	if got := answers(query(t, s.Addr(), "udp", "web.", dns.TypeA)); len(got) != 1 {
		t.Fatalf("web before reload: %v", got)
	}
	// The same size and, on a coarse clock, the same mtime: only the
	// inode (rename) tells the two apart.
	writeTestRecords(t, runroot, Records{Listen: []string{"10.89.1.1"},
		Names: map[string][]string{"new": {"10.89.1.9"}}})
	if got := answers(query(t, s.Addr(), "udp", "new.", dns.TypeA)); len(got) != 1 || got[0] != "10.89.1.9" {
		t.Errorf("new after reload: %v", got)
	}
	// web is no longer ours: forwarded, and without upstream that is SERVFAIL.
	if m := query(t, s.Addr(), "udp", "web.", dns.TypeA); m.Rcode != dns.RcodeServerFailure {
		t.Errorf("web after reload: rcode %s, want SERVFAIL", dns.RcodeToString[m.Rcode])
	}
}

func TestTruncation(t *testing.T) {
	var many []string
	for i := 1; i <= 100; i++ {
		many = append(many, netip.AddrFrom4([4]byte{10, 89, 2, byte(i)}).String())
	}
	path := writeTestRecords(t, t.TempDir(), Records{Listen: []string{"10.89.2.1"},
		Names: map[string][]string{"big": many}})
	s, _ := startServer(t, Config{RecordsPath: path})
	if m := query(t, s.Addr(), "udp", "big.", dns.TypeA); !m.Truncated || len(m.Answer) >= 100 {
		t.Errorf("udp: truncated %v, %d answers; want TC and fewer", m.Truncated, len(m.Answer))
	}
	if m := query(t, s.Addr(), "tcp", "big.", dns.TypeA); m.Truncated || len(m.Answer) != 100 {
		t.Errorf("tcp: truncated %v, %d answers; want all 100", m.Truncated, len(m.Answer))
	}
}

// fakeUpstream serves on 127.0.0.1 (UDP and TCP, one port) answering
// example.com. with 192.0.2.1 over UDP and 192.0.2.2 over TCP, so a test
// can tell which protocol was forwarded; other names are NXDOMAIN.
func fakeUpstream(t *testing.T) string {
	t.Helper()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg).SetReply(r)
		if canonical(r.Question[0].Name) != "example.com" {
			m.Rcode = dns.RcodeNameError
		} else {
			ip := net.IPv4(192, 0, 2, 1)
			if w.LocalAddr().Network() == "tcp" {
				ip = net.IPv4(192, 0, 2, 2)
			}
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name,
				Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: ip})
		}
		_ = w.WriteMsg(m)
	})
	up, err := New(Config{RecordsPath: "/nonexistent", Listen: []string{"127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, srv := range up.servers {
		srv.Handler = h
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = up.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return up.Addr()
}

func TestForward(t *testing.T) {
	path := writeTestRecords(t, t.TempDir(), testRecords)
	up := fakeUpstream(t)
	s, _ := startServer(t, Config{RecordsPath: path, Upstreams: []string{up}})
	for proto, want := range map[string]string{"udp": "192.0.2.1", "tcp": "192.0.2.2"} {
		m := query(t, s.Addr(), proto, "Example.COM.", dns.TypeA)
		if got := answers(m); m.Rcode != dns.RcodeSuccess || len(got) != 1 || got[0] != want {
			t.Errorf("%s: rcode %s answers %v, want %s", proto, dns.RcodeToString[m.Rcode], got, want)
		}
		if m.Authoritative {
			t.Errorf("%s: a forwarded answer is not ours to call authoritative", proto)
		}
		if m := query(t, s.Addr(), proto, "nowhere.example.", dns.TypeA); m.Rcode != dns.RcodeNameError {
			t.Errorf("%s: upstream NXDOMAIN relayed as %s", proto, dns.RcodeToString[m.Rcode])
		}
	}
	// Local names never reach the upstream.
	if got := answers(query(t, s.Addr(), "udp", "web.", dns.TypeA)); len(got) != 1 || got[0] != "10.89.1.2" {
		t.Errorf("web with an upstream: %v", got)
	}
}

// deadAddr is a loopback UDP+TCP port that nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	s, err := New(Config{RecordsPath: "/nonexistent", Listen: []string{"127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	s.Close()
	return addr
}

func TestForwardFailure(t *testing.T) {
	path := writeTestRecords(t, t.TempDir(), testRecords)
	cases := map[string][]string{
		"dead upstream": {deadAddr(t)},
		"no upstream":   nil,
	}
	for name, ups := range cases {
		s, _ := startServer(t, Config{RecordsPath: path, Upstreams: ups, Timeout: 300 * time.Millisecond})
		for _, proto := range []string{"udp", "tcp"} {
			if m := query(t, s.Addr(), proto, "example.com.", dns.TypeA); m.Rcode != dns.RcodeServerFailure {
				t.Errorf("%s over %s: rcode %s, want SERVFAIL", name, proto, dns.RcodeToString[m.Rcode])
			}
		}
	}
	// The next upstream is tried when the first one fails.
	up := fakeUpstream(t)
	s, _ := startServer(t, Config{RecordsPath: path, Upstreams: []string{deadAddr(t), up}, Timeout: 300 * time.Millisecond})
	if got := answers(query(t, s.Addr(), "udp", "example.com.", dns.TypeA)); len(got) != 1 {
		t.Errorf("failover to the second upstream: %v", got)
	}
}

func waitServe(t *testing.T, done chan error) {
	t.Helper()
	select {
	case err := <-done:
		done <- err // for startServer's cleanup
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return on idle records")
	}
}

func TestIdleExit(t *testing.T) {
	for _, how := range []string{"removed", "emptied"} {
		t.Run(how, func(t *testing.T) {
			runroot := t.TempDir()
			path := writeTestRecords(t, runroot, testRecords)
			s, done := startServer(t, Config{RecordsPath: path, IdleExit: 100 * time.Millisecond})
			if got := answers(query(t, s.Addr(), "udp", "web.", dns.TypeA)); len(got) != 1 {
				t.Fatalf("web: %v", got)
			}
			if how == "removed" {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			} else {
				writeTestRecords(t, runroot, Records{Listen: testRecords.Listen})
			}
			waitServe(t, done)
		})
	}
}

// TestIdleExitRecheck: names written back while the exit lock is taken
// (an Ensure racing the exit) keep the server up.
func TestIdleExitRecheck(t *testing.T) {
	runroot := t.TempDir()
	path := writeTestRecords(t, runroot, Records{Listen: testRecords.Listen})
	locks := 0
	cfg := Config{RecordsPath: path, IdleExit: 50 * time.Millisecond,
		ExitLock: func() (func(), error) {
			locks++
			if locks == 1 {
				if err := WriteRecords(runroot, testNet, testRecords); err != nil {
					return nil, err
				}
				return func() { os.Remove(path) }, nil // names gone again after the unlock
			}
			return func() { t.Error("unlocked on the way out") }, nil
		}}
	_, done := startServer(t, cfg)
	waitServe(t, done)
	if locks != 2 {
		t.Errorf("exit lock taken %d times, want 2 (one stay, one exit)", locks)
	}
}

func TestPermits(t *testing.T) {
	r := testRecords
	r.Subnets = []string{"10.89.9.0/24"}
	tab := newTable(r)
	for addr, want := range map[string]bool{
		"10.89.1.2": true, "10.89.1.1": true, "127.0.0.1": true, "::1": true,
		"fd00::2": true, "10.89.9.77": true, "::ffff:10.89.1.3": true,
		"10.89.1.99": false, "192.168.1.5": false, "fd00::99": false,
	} {
		if got := tab.permits(netip.MustParseAddr(addr)); got != want {
			t.Errorf("permits(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestWriteRecords(t *testing.T) {
	runroot := t.TempDir()
	err := WriteRecords(runroot, testNet, Records{Listen: []string{"10.89.1.1", "127.0.0.1:5353", "[::1]:53"},
		Names: map[string][]string{"Web": {"10.89.1.2"}, "web.": {"10.89.1.3", "10.89.1.2"}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadRecords(RecordsPath(runroot, testNet))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Names["web"]; len(r.Names) != 1 || len(got) != 2 {
		t.Errorf("names %v, want web merged to two addresses", r.Names)
	}
	bad := []Records{
		{Listen: []string{"10.89.1.1:99999"}},
		{Names: map[string][]string{"x": {"10.89.1"}}},
		{Names: map[string][]string{".": {"10.89.1.2"}}},
		{Subnets: []string{"10.89.1.0"}},
	}
	for _, r := range bad {
		if err := WriteRecords(runroot, testNet, r); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("WriteRecords(%+v) = %v, want ErrInvalid", r, err)
		}
	}
	for _, id := range []string{"", "..", "a/b"} {
		if err := WriteRecords(runroot, id, Records{}); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("WriteRecords id %q = %v, want ErrInvalid", id, err)
		}
	}
	if _, err := ReadRecords(RecordsPath(runroot, "missing")); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("ReadRecords of a missing file = %v, want ErrNotFound", err)
	}
}

func TestHostUpstreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	conf := "search example.com\nnameserver 127.0.0.53\nnameserver 10.89.1.1\nnameserver fd00::53\noptions edns0\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := HostUpstreams(path, []string{"10.89.1.1"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "127.0.0.53:53,[fd00::53]:53" {
		t.Errorf("upstreams %v", got)
	}
	if got, err := HostUpstreams(filepath.Join(t.TempDir(), "none"), nil); err != nil || got != nil {
		t.Errorf("missing resolv.conf: %v, %v", got, err)
	}
}
