package dns

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"

	"golang.org/x/sys/unix"
)

// Main is the body of the onggi-dns helper process (registered under
// HelperName): `onggi-dns --runroot R --network ID`. It serves until the
// network's records are gone or empty for ~2 s, or SIGTERM, then exits.
func Main() {
	fs := flag.NewFlagSet(HelperName, flag.ContinueOnError)
	runroot := fs.String("runroot", "", "runtime state directory")
	netID := fs.String("network", "", "network id")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	os.Exit(run(*runroot, *netID, readyPipe()))
}

// readyPipe is fd 3 when Ensure passed a pipe there; run by hand, fd 3 may
// be anything (or nothing) and is left alone.
func readyPipe() io.WriteCloser {
	var st unix.Stat_t
	if unix.Fstat(3, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return nopCloser{io.Discard}
	}
	return os.NewFile(3, "ready")
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func run(runroot, netID string, ready io.WriteCloser) int {
	fail := func(err error) int {
		fmt.Fprintf(ready, "%v", err)
		ready.Close()
		return 1
	}
	if err := checkNetID(netID); err != nil || runroot == "" {
		return fail(fmt.Errorf("%s: need --runroot and a valid --network", HelperName))
	}
	pidf, err := flockFile(pidPath(runroot, netID), false)
	if errors.Is(err, errLocked) { // another one serves this network
		fmt.Fprint(ready, readyOK)
		ready.Close()
		return 0
	}
	if err != nil {
		return fail(err)
	}
	defer pidf.Close()
	srv, err := newResponder(runroot, netID)
	if err == nil {
		if err = writePid(pidf); err != nil {
			srv.Close()
		}
	}
	if err != nil {
		removeOwned(pidf, pidPath(runroot, netID))
		return fail(err)
	}
	fmt.Fprint(ready, readyOK)
	ready.Close()
	ctx, stop := signal.NotifyContext(context.Background(), unix.SIGTERM, unix.SIGINT)
	defer stop()
	err = srv.Serve(ctx)
	// Still holding both locks when idle: no Ensure can see a pidfile
	// whose owner is leaving.
	removeOwned(pidf, pidPath(runroot, netID))
	if err != nil {
		return 1
	}
	return 0
}

// newResponder binds the records file's listen addresses, with the host's
// resolvers as upstreams.
func newResponder(runroot, netID string) (*Server, error) {
	path := RecordsPath(runroot, netID)
	r, err := ReadRecords(path)
	if err != nil {
		return nil, err
	}
	ups, err := HostUpstreams(hostResolvConf, r.Listen)
	if err != nil {
		ups = nil // no upstream: other names get SERVFAIL, ours still work
	}
	return New(Config{
		RecordsPath: path,
		Upstreams:   ups,
		IdleExit:    idleExit,
		ExitLock: func() (func(), error) {
			lk, err := flockFile(lockPath(runroot, netID), true)
			if err != nil {
				return nil, err
			}
			return func() { lk.Close() }, nil
		},
	})
}

func writePid(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}
