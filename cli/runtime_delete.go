package cli

import (
	"errors"
	"fmt"

	"github.com/onggi/onggi/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
)

func newRuntimeDeleteCmd(rg *runtimeGlobals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete [flags] <container-id>",
		Short: "delete any resources held by the container often used with detached container",
		Args:  needArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runRuntimeDelete(rg, args[0], force)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "forcibly deletes the container if it is still running (uses SIGKILL)")
	return cmd
}

// runRuntimeDelete follows runc: a stopped or merely created container is
// removed (the waiting init is killed), a running or paused one only with
// --force, and --force on an unknown id succeeds.
func runRuntimeDelete(rg *runtimeGlobals, id string, force bool) error {
	c, err := rg.load([]string{id})
	if err != nil {
		if force && errors.Is(err, runtime.ErrNotExist) {
			return nil
		}
		return err
	}
	st, err := c.State()
	if err != nil {
		return err
	}
	switch st.Status {
	case specs.StateStopped:
		return c.Delete(false)
	case specs.StateCreated, specs.StateCreating:
		return c.Delete(true)
	}
	if !force {
		return fmt.Errorf("cannot delete container %s that is not stopped: %s", id, st.Status)
	}
	return c.Delete(true)
}
