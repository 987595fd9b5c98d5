package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/onggi/onggi/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
)

// errDetachedTTY is runc's refusal to give a terminal nobody will read.
var errDetachedTTY = errors.New("cannot allocate tty if runc will detach without setting console socket")

type runtimeRunOpts struct {
	runtimeCreateOpts
	detach, keep bool
}

func newRuntimeRunCmd(rg *runtimeGlobals) *cobra.Command {
	o := &runtimeRunOpts{}
	cmd := &cobra.Command{
		Use:   "run [flags] <container-id>",
		Short: "create and run a container",
		Args:  needArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := runRuntimeRun(cmd, rg, o, args[0])
			var ee *ExitError
			if err != nil && !errors.As(err, &ee) {
				return fmt.Errorf("%s run failed: %w", progName(cmd), err)
			}
			return err
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().BoolVarP(&o.detach, "detach", "d", false, "detach from the container's process")
	cmd.Flags().BoolVar(&o.keep, "keep", false, "do not delete the container after it exits")
	// Accepted for runc compatibility: the container's init is already a
	// child of this process, so there is nothing extra to reap.
	cmd.Flags().Bool("no-subreaper", false, "disable the use of the subreaper used to reap reparented processes")
	return cmd
}

// runRuntimeRun is create + start, then, in the foreground, waiting with
// signals forwarded and the container's status as ours.
func runRuntimeRun(cmd *cobra.Command, rg *runtimeGlobals, o *runtimeRunOpts, id string) (retErr error) {
	co, err := o.runtimeOpts()
	if err != nil {
		return err
	}
	terminal, err := bundleTerminal(co.Bundle)
	if err != nil {
		return err
	}
	tty, err := proxyTTY(terminal, o.detach, &co.ConsoleSocket)
	if err != nil {
		return err
	}
	defer tty.close()
	r, err := rg.open()
	if err != nil {
		return err
	}
	var relay *signalRelay
	if !o.detach {
		relay = catchSignals() // in the background, while Create works
		defer relay.stop()
	}
	c, err := r.Create(id, co)
	if err != nil {
		return err
	}
	defer func() {
		var status *ExitError
		failed := retErr != nil && !errors.As(retErr, &status)
		if failed || (!o.detach && !o.keep) {
			c.Delete(true)
		}
	}()
	if tty != nil {
		if err := tty.attach(os.Stdin, cmd.OutOrStdout()); err != nil {
			return err
		}
	}
	if o.detach {
		return c.Start()
	}
	return startAndWait(c, tty, relay)
}

// startAndWait starts c, relays signals to it and returns its exit status
// as an ExitError (nil for 0).
func startAndWait(c *runtime.Container, tty *ttyProxy, relay *signalRelay) error {
	if err := c.Start(); err != nil {
		return err
	}
	relay.forward(tty, func(s syscall.Signal) error { return c.Signal(s, false) })
	status, err := c.Wait()
	if err != nil {
		return err
	}
	if status == 0 {
		return nil
	}
	return &ExitError{Code: status}
}

// bundleTerminal reports process.terminal of the bundle's config.json: run
// must know before create whether it will have to hold the pty itself.
func bundleTerminal(bundle string) (bool, error) {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("JSON specification file config.json not found: %w", runtime.ErrInvalid)
		}
		return false, fmt.Errorf("reading bundle config: %w", err)
	}
	var s struct {
		Process *specs.Process `json:"process"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return false, fmt.Errorf("parsing bundle config.json: %w: %w", runtime.ErrInvalid, err)
	}
	return s.Process != nil && s.Process.Terminal, nil
}
