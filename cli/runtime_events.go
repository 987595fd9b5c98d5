package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/onggi/onggi/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
)

// runcEvent is one line of runc's events output.
type runcEvent struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

type runtimeEventsOpts struct {
	stats    bool
	interval time.Duration
}

func newRuntimeEventsCmd(rg *runtimeGlobals) *cobra.Command {
	o := &runtimeEventsOpts{}
	cmd := &cobra.Command{
		Use:   "events [flags] <container-id>",
		Short: "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
		Args:  needArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rg.load(args)
			if err != nil {
				return err
			}
			return runRuntimeEvents(cmd, c, o)
		},
	}
	cmd.Flags().BoolVar(&o.stats, "stats", false, "display the container's stats then exit")
	cmd.Flags().DurationVar(&o.interval, "interval", 5*time.Second, "set the stats collection interval")
	return cmd
}

// runRuntimeEvents prints one stats event with --stats, or else one every
// interval plus an "oom" event for each OOM kill, until the container stops.
func runRuntimeEvents(cmd *cobra.Command, c *runtime.Container, o *runtimeEventsOpts) error {
	if o.interval <= 0 {
		return errors.New("duration interval must be greater than 0")
	}
	enc := json.NewEncoder(cmd.OutOrStdout())
	emit := func() error {
		st, err := c.Stats()
		if err != nil {
			return fmt.Errorf("reading stats of %s: %w", c.ID(), err)
		}
		return enc.Encode(runcEvent{Type: "stats", ID: c.ID(), Data: st})
	}
	if o.stats {
		return emit()
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the OOM watcher on every return
	// Like runc, a host that cannot notify OOMs (no memory controller)
	// still gets stats; a nil channel never fires in the select below.
	oom, err := c.OOMEvents(ctx)
	if err != nil {
		if errors.Is(err, runtime.ErrNotRunning) {
			return nil
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: no OOM notifications for %s: %v\n", c.ID(), err)
		oom = nil
	}
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	for {
		if st, err := c.State(); err != nil || st.Status == specs.StateStopped {
			return err
		}
		if err := emit(); err != nil {
			if errors.Is(err, runtime.ErrNotRunning) {
				return nil // stopped between the two reads
			}
			return err
		}
	wait:
		for {
			select {
			case <-tick.C:
				break wait
			case _, ok := <-oom:
				if !ok {
					// Closed on cgroup removal: the container is gone
					// (deleted or stopped). Should the watch have broken
					// instead, keep streaming stats without it.
					if st, err := c.State(); err != nil || st.Status == specs.StateStopped {
						return nil
					}
					oom = nil
					continue
				}
				if err := enc.Encode(runcEvent{Type: "oom", ID: c.ID()}); err != nil {
					return fmt.Errorf("writing oom event of %s: %w", c.ID(), err)
				}
			}
		}
	}
}
