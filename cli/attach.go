package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/monitor"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

var _ = addContainerCommand(newAttachCmd)

type attachOptions struct {
	noStdin, sigProxy bool
	detachKeys        string
}

func newAttachCmd(g *Globals) *cobra.Command {
	o := &attachOptions{}
	cmd := &cobra.Command{
		Use:                   "attach [OPTIONS] CONTAINER",
		Short:                 "Attach local standard input, output, and error streams to a running container",
		DisableFlagsInUseLine: true,
		Args:                  requiresExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAttach(cmd, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	f.BoolVar(&o.noStdin, "no-stdin", false, "Do not attach STDIN")
	f.BoolVar(&o.sigProxy, "sig-proxy", true, "Proxy all received signals to the process")
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}

func runAttach(cmd *cobra.Command, g *Globals, o *attachOptions, ref string) error {
	keys, err := parseDetachKeys(o.detachKeys)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	c, err := e.GetContainer(cmd.Context(), ref)
	if err != nil {
		return verbError(err)
	}
	a := attachment{
		tty: c.Config.Tty, stdin: !o.noStdin && c.Config.OpenStdin, stdout: true, stderr: true,
		sigProxy: o.sigProxy, keys: keys,
	}
	if err := checkTTY(cmd.InOrStdin(), a.stdin, a.tty); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	return a.run(cmd, e, c.ID, func(s *engine.Streams) (sessionLike, error) {
		sess, err := e.AttachContainer(cmd.Context(), c.ID, s)
		if err != nil {
			return nil, verbError(err)
		}
		return sess, nil
	})
}

// sessionLike is the part of *monitor.Session an attached client uses.
type sessionLike interface {
	Resize(monitor.Size) error
	Wait() (monitor.Result, error)
	Close() error
}

// attachment is one foreground client of a container (run, start -a,
// attach): which streams, tty handling, signal proxying, detach keys.
type attachment struct {
	tty, stdin, stdout, stderr, sigProxy bool
	keys                                 []byte
}

// run opens the session with open, relays it until the container exits or
// the client detaches, and returns the container's exit status (nil for 0
// and for a detach, which prints nothing as docker).
func (a *attachment) run(cmd *cobra.Command, e *engine.Engine, id string, open func(*engine.Streams) (sessionLike, error)) error {
	in, out := cmd.InOrStdin(), cmd.OutOrStdout()
	s := &engine.Streams{DetachKeys: a.keys}
	if a.stdin {
		s.Stdin = in
	}
	if a.stdout {
		s.Stdout = out
	}
	if a.stderr {
		s.Stderr = cmd.ErrOrStderr()
		if a.tty {
			s.Stderr = out // a pty has one output
		}
	}
	if a.tty && a.stdin {
		restore, err := rawTerminal(in)
		if err != nil {
			return containerError(err)
		}
		defer restore()
	}
	if a.sigProxy && !a.tty {
		// With a tty, ctrl-c reaches the container through the pty.
		defer proxySignals(e, id)()
	}
	sess, err := open(s)
	if err != nil {
		return err
	}
	defer sess.Close()
	if a.tty {
		defer watchResize(out, sess.Resize)()
	}
	res, err := sess.Wait()
	if err != nil {
		return containerError(err)
	}
	if !res.Detached && res.Exit.Code != 0 {
		return &ExitError{Code: res.Exit.Code}
	}
	return nil
}

// proxySignals forwards the signals this process receives to the
// container's init until stop is called, as docker's --sig-proxy does.
func proxySignals(e *engine.Engine, id string) (stop func()) {
	ch := make(chan os.Signal, 128)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Catching costs the Go runtime a round trip per signal (~1–3 ms
		// for all of them, measured on the run path): the common ones are
		// caught here, in the background while the container starts, the
		// rest once it has run for catchRestAfter; nothing is undone
		// (see signalRelay in runtime_signals.go).
		signal.Notify(ch, relayFirst...)
		rest := time.After(catchRestAfter)
		for {
			select {
			case <-ctx.Done():
				return
			case <-rest:
				signal.Notify(ch)
				rest = nil
			case s := <-ch:
				sig, ok := s.(syscall.Signal)
				// SIGCHLD and SIGPIPE concern this process only; SIGURG is
				// the Go runtime's preemption signal.
				if !ok || sig == unix.SIGCHLD || sig == unix.SIGPIPE || sig == unix.SIGURG {
					continue
				}
				_ = e.KillContainer(ctx, id, strconv.Itoa(int(sig)))
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// verbError gives an engine error docker's status for the container verbs
// other than run/create: 1 (docker's CLI exits 1 for a daemon error), but
// 126/127 kept for a command that cannot be run.
func verbError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	if code := ExitCode(err); code == exitNotFound || code == exitCannotInvoke {
		return &ExitError{Code: code, Err: err}
	}
	return &ExitError{Code: 1, Err: err}
}
