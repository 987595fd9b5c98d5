package dns

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"github.com/onggi/onggi/errdefs"
)

// Config configures a Server.
type Config struct {
	// RecordsPath is the records file (see Records); it is re-read when it
	// changes.
	RecordsPath string
	// Listen overrides the records file's listen addresses (same syntax);
	// port 0 picks a free port, the same one for UDP and TCP. For tests.
	Listen []string
	// Upstreams are the resolvers other names are forwarded to ("ip" or
	// "ip:port"); none means such queries get SERVFAIL.
	Upstreams []string
	// Timeout bounds each upstream exchange; default 2 s.
	Timeout time.Duration
	// TTL of local answers; default 0, so clients never cache a replica set
	// that is about to change and round-robin applies to every lookup.
	TTL uint32
	// IdleExit, when non-zero, makes Serve return once the records file has
	// been missing or without names for that long.
	IdleExit time.Duration
	// ExitLock, if set, is taken before an idle exit. The records are read
	// again under it: if names came back, it is released and the server
	// stays; otherwise Serve returns with it still held, so that its holder
	// (the process) exits before anyone else can decide it is running.
	ExitLock func() (unlock func(), err error)
	// Logf, if set, receives the few events worth a line (idle exit).
	Logf func(format string, args ...any)
}

// Server is a network's DNS responder: local names from the records file,
// everything else forwarded. New binds its sockets; Serve answers.
type Server struct {
	cfg     Config
	addrs   []string
	servers []*dns.Server
	closers []func() error
	loaded  atomic.Pointer[loaded]
	mu      sync.Mutex // serialises reloads
	sem     chan struct{}

	idleSince time.Time // owned by Serve's goroutine
	served    atomic.Bool
}

// loaded pairs a table with the file state it was read from.
type loaded struct {
	fi  os.FileInfo // nil: the file was missing
	tab *table
}

// maxForwards bounds the forwarded queries in flight: a container looping
// on lookups must not pile up goroutines and sockets without limit.
const maxForwards = 256

// New binds UDP and TCP sockets on every listen address (cfg.Listen, else
// the records file's) and returns a Server ready to Serve.
func New(cfg Config) (_ *Server, retErr error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	s := &Server{cfg: cfg, sem: make(chan struct{}, maxForwards)}
	s.loaded.Store(&loaded{tab: newTable(Records{})})
	listen := cfg.Listen
	if len(listen) == 0 {
		r, err := ReadRecords(cfg.RecordsPath)
		if err != nil {
			return nil, err
		}
		listen = r.Listen
	}
	if len(listen) == 0 {
		return nil, errdefs.Errorf(errdefs.ErrInvalid, "dns records %s: no listen address", cfg.RecordsPath)
	}
	defer func() {
		if retErr != nil {
			s.Close()
		}
	}()
	for _, l := range listen {
		ap, err := ListenAddr(l)
		if err != nil {
			return nil, err
		}
		if err := s.bind(ap); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// bindWait is how long a fixed address that is in use is retried: the
// responder of a removed onggi instance whose subnet was just reused keeps
// the gateway's :53 until it notices its records are gone (~2 s).
var bindWait = 4 * time.Second

// bind opens the UDP socket and then the TCP one on the same port, retrying
// a few times when port 0 handed out a UDP port whose TCP twin is taken,
// and for up to bindWait while a fixed port is in use.
func (s *Server) bind(ap netip.AddrPort) error {
	lc := listenConfig(ap.Addr())
	ctx := context.Background()
	deadline := time.Now().Add(bindWait)
	retry := func(err error) bool {
		if ap.Port() == 0 || !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
		return true
	}
	for try := 0; ; try++ {
		pc, err := lc.ListenPacket(ctx, "udp", ap.String())
		if err != nil {
			if retry(err) {
				continue
			}
			return fmt.Errorf("dns responder: %w", err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		tcpAddr := netip.AddrPortFrom(ap.Addr(), uint16(port))
		ln, err := lc.Listen(ctx, "tcp", tcpAddr.String())
		if err != nil {
			pc.Close()
			if (ap.Port() == 0 && try < 10) || retry(err) {
				continue
			}
			return fmt.Errorf("dns responder: %w", err)
		}
		s.addrs = append(s.addrs, tcpAddr.String())
		s.closers = append(s.closers, pc.Close, ln.Close)
		s.servers = append(s.servers,
			&dns.Server{PacketConn: pc, Handler: s},
			&dns.Server{Listener: ln, Handler: s, ReadTimeout: 5 * time.Second})
		return nil
	}
}

// Addr is the first listen address as "ip:port" (UDP and TCP share it).
func (s *Server) Addr() string { return s.addrs[0] }

// Addrs are all listen addresses.
func (s *Server) Addrs() []string { return append([]string(nil), s.addrs...) }

// Close releases the sockets of a Server that was never served; Serve
// closes them itself when it returns.
func (s *Server) Close() error {
	var errs []error
	for _, c := range s.closers {
		if err := c(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Serve answers queries until ctx is done or, with IdleExit set, the
// records have been idle that long. It may be called once.
func (s *Server) Serve(ctx context.Context) error {
	if s.served.Swap(true) {
		return errdefs.Errorf(errdefs.ErrConflict, "dns responder already served")
	}
	errc := make(chan error, len(s.servers))
	var started sync.WaitGroup
	for _, srv := range s.servers {
		started.Add(1)
		srv.NotifyStartedFunc = started.Done
		go func() { errc <- srv.ActivateAndServe() }()
	}
	defer s.shutdown()
	if err := waitStarted(&started, errc); err != nil {
		return err
	}
	tick := time.NewTicker(s.pollInterval())
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return fmt.Errorf("dns responder: %w", err)
		case now := <-tick.C:
			if s.cfg.IdleExit > 0 && s.idle(now) {
				s.logf("dns responder: no names for %s, exiting", s.cfg.IdleExit)
				return nil
			}
		}
	}
}

// waitStarted returns once every server runs, or the first one's failure.
func waitStarted(started *sync.WaitGroup, errc chan error) error {
	done := make(chan struct{})
	go func() { started.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case err := <-errc:
		return fmt.Errorf("dns responder: %w", err)
	}
}

func (s *Server) shutdown() {
	for _, srv := range s.servers {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = srv.ShutdownContext(ctx)
		cancel()
	}
	s.Close()
}

// pollInterval is how often the records are checked for idleness: a tenth
// of IdleExit, within sane bounds, or a second when idle exit is off.
func (s *Server) pollInterval() time.Duration {
	d := s.cfg.IdleExit / 8
	switch {
	case s.cfg.IdleExit == 0:
		return time.Second
	case d < 10*time.Millisecond:
		return 10 * time.Millisecond
	case d > 500*time.Millisecond:
		return 500 * time.Millisecond
	}
	return d
}

// idle reports whether the server should exit now.
func (s *Server) idle(now time.Time) bool {
	if len(s.records().names) > 0 {
		s.idleSince = time.Time{}
		return false
	}
	if s.idleSince.IsZero() {
		s.idleSince = now
	}
	if now.Sub(s.idleSince) < s.cfg.IdleExit {
		return false
	}
	if s.cfg.ExitLock == nil {
		return true
	}
	unlock, err := s.cfg.ExitLock()
	if err != nil {
		s.logf("dns responder: exit lock: %v", err)
		return true
	}
	if len(s.records().names) > 0 {
		unlock()
		s.idleSince = time.Time{}
		return false
	}
	return true
}

// records returns the current table, re-reading the file when its identity,
// size or modification time changed: one stat per query, a read only after
// the engine rewrote it.
func (s *Server) records() *table {
	fi, err := os.Stat(s.cfg.RecordsPath)
	cur := s.loaded.Load()
	if err == nil && cur.fi != nil && sameFile(fi, cur.fi) {
		return cur.tab
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return cur.tab // a transient error: keep what we have
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur = s.loaded.Load()
	if err != nil { // missing: no names at all
		if cur.fi != nil || len(cur.tab.names) > 0 {
			cur = &loaded{tab: newTable(Records{})}
			s.loaded.Store(cur)
		}
		return cur.tab
	}
	if cur.fi != nil && sameFile(fi, cur.fi) {
		return cur.tab
	}
	r, rerr := ReadRecords(s.cfg.RecordsPath)
	if rerr != nil {
		return cur.tab // written atomically, so only a racing removal: retry next time
	}
	cur = &loaded{fi: fi, tab: newTable(r)}
	s.loaded.Store(cur)
	return cur.tab
}

func sameFile(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}
