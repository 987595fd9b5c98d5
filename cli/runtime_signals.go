package cli

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// signalRelay relays every signal the CLI receives to a container process,
// as runc's foreground run and exec do. SIGCHLD is ours, SIGURG is the Go
// scheduler's, SIGWINCH resizes the pty.
//
// Catching a signal costs the Go runtime a round trip with its signal-mask
// thread (two context switches; catching all 65 cost ~1–2 ms of CPU and
// ~150 context switches per run, as much again to undo). So:
//   - the signals one sends to a foreground process (relayFirst) are
//     caught at once, in the background while the container is created;
//     the rest (realtime signals and the like) once the process has run for
//     catchRestAfter, so a short-lived container does not pay for them;
//   - nothing is undone: the CLI exits soon after the process does, and a
//     signal arriving while it deletes the container is dropped instead of
//     interrupting the cleanup.
//
// Signals caught before forward are held and relayed once the process runs
// (runc does the same).
type signalRelay struct {
	ch     chan os.Signal
	caught chan struct{} // closed once relayFirst are caught
	all    chan struct{} // closed once every signal is
	begin  chan relayTarget
	end    chan struct{}
}

// relayFirst are the signals caught from the start.
var relayFirst = []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1,
	syscall.SIGUSR2, syscall.SIGPIPE, syscall.SIGALRM, syscall.SIGTERM, syscall.SIGCONT,
	syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGWINCH, syscall.SIGPWR}

// catchRestAfter is how long the process runs before every other signal is
// caught too.
const catchRestAfter = 100 * time.Millisecond

type relayTarget struct {
	tty  *ttyProxy
	send func(syscall.Signal) error
}

// catchSignals starts catching signals.
func catchSignals() *signalRelay {
	r := &signalRelay{ch: make(chan os.Signal, 128), caught: make(chan struct{}), all: make(chan struct{}),
		begin: make(chan relayTarget, 1), end: make(chan struct{})}
	go r.loop()
	return r
}

func (r *signalRelay) loop() {
	signal.Notify(r.ch, relayFirst...)
	close(r.caught)
	var held []syscall.Signal
	var to *relayTarget
	var rest <-chan time.Time
	for {
		select {
		case <-r.end:
			return
		case <-rest:
			signal.Notify(r.ch) // every signal
			close(r.all)
			rest = nil
		case t := <-r.begin:
			to = &t
			for _, sig := range held {
				to.relay(sig)
			}
			held = nil
			rest = time.After(catchRestAfter)
		case s := <-r.ch:
			sig, _ := s.(syscall.Signal)
			switch {
			case r.stopped():
				return
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
// once the process runs and tty is attached. It returns once relayFirst
// are caught (long done, unless the process was very quick to start).
func (r *signalRelay) forward(tty *ttyProxy, send func(syscall.Signal) error) {
	<-r.caught
	r.begin <- relayTarget{tty: tty, send: send}
}

// stop stops relaying; signals are still caught, and dropped.
func (r *signalRelay) stop() { close(r.end) }

func (r *signalRelay) stopped() bool {
	select {
	case <-r.end:
		return true
	default:
		return false
	}
}
