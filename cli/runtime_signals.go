package cli

import (
	"os"
	"os/signal"
	"syscall"
)

// signalRelay relays every signal the CLI receives to a container process,
// as runc's foreground run and exec do. SIGCHLD is ours, SIGURG is the Go
// scheduler's, SIGWINCH resizes the pty.
//
// Catching every signal costs the Go runtime one round trip with its
// signal-mask thread per signal (65 of them: 1–2 ms of CPU measured here,
// as much again to undo). So catchSignals sets it up in the background,
// while the container is being created, and nothing undoes it: the CLI
// exits soon after the process does, and a signal arriving while it deletes
// the container is dropped instead of interrupting the cleanup. Signals
// caught before forward are held and relayed once the process runs (runc
// does the same).
type signalRelay struct {
	ch    chan os.Signal
	begin chan relayTarget
	end   chan struct{}
}

type relayTarget struct {
	tty  *ttyProxy
	send func(syscall.Signal) error
}

// catchSignals starts catching every signal.
func catchSignals() *signalRelay {
	r := &signalRelay{ch: make(chan os.Signal, 128), begin: make(chan relayTarget, 1), end: make(chan struct{})}
	go r.loop()
	return r
}

func (r *signalRelay) loop() {
	signal.Notify(r.ch)
	var held []syscall.Signal
	var to *relayTarget
	for {
		select {
		case <-r.end:
			return
		case t := <-r.begin:
			to = &t
			for _, sig := range held {
				to.relay(sig)
			}
			held = nil
		case s := <-r.ch:
			sig, _ := s.(syscall.Signal)
			switch {
			case sig == syscall.SIGCHLD || sig == syscall.SIGURG:
			case to == nil:
				held = append(held, sig)
			default:
				to.relay(sig)
			}
		}
	}
}

func (t *relayTarget) relay(sig syscall.Signal) {
	if !t.tty.handleWinch(sig) {
		_ = t.send(sig)
	}
}

// forward starts relaying to send (and SIGWINCH to tty, if any): call it
// once the process runs and tty is attached.
func (r *signalRelay) forward(tty *ttyProxy, send func(syscall.Signal) error) {
	r.begin <- relayTarget{tty: tty, send: send}
}

// stop stops relaying; signals are still caught, and dropped.
func (r *signalRelay) stop() { close(r.end) }
