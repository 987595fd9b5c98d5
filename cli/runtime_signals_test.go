package cli

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// TestSignalRelay: signals caught before the process runs are held and
// relayed once it does, later ones as they come, the rest of the signals
// (here a realtime one) once catchRestAfter has passed; SIGCHLD is not
// relayed, and signals stay caught after stop.
func TestSignalRelay(t *testing.T) {
	r := catchSignals()
	<-r.caught
	self := func(sig syscall.Signal) {
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan syscall.Signal, 16)
	self(syscall.SIGUSR1) // held: nothing to relay to yet
	self(syscall.SIGCHLD)
	r.forward(nil, func(s syscall.Signal) error { got <- s; return nil })
	want := func(sig syscall.Signal) {
		t.Helper()
		for {
			select {
			case s := <-got:
				if s == syscall.SIGUSR2 {
					continue // sent at the end of an earlier run (-count)
				}
				if s != sig {
					t.Fatalf("relayed %v; want %v", s, sig)
				}
				return
			case <-time.After(10 * time.Second):
				t.Fatalf("%v not relayed", sig)
			}
		}
	}
	want(syscall.SIGUSR1)
	self(syscall.SIGTERM)
	want(syscall.SIGTERM)
	<-r.all
	rt := syscall.Signal(37) // SIGRTMIN+3, as systemd uses
	self(rt)
	want(rt)
	r.stop()
	self(syscall.SIGUSR2) // still caught: the test process lives on
}
