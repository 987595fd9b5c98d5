package cli

import (
	"errors"
	"fmt"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var _ = addContainerCommand(newUpdateCmd)

type updateOptions struct {
	blkioWeight                    uint16
	cpuPeriod, cpuQuota, cpuShares int64
	cpuRtPeriod, cpuRtRuntime      int64
	cpusetCpus, cpusetMems         string
	memory, memoryReservation      memBytes
	memorySwap                     memSwapBytes
	cpus                           nanoCPUs
	pidsLimit                      int64
	restart                        string
}

func newUpdateCmd(g *Globals) *cobra.Command {
	o := &updateOptions{}
	cmd := &cobra.Command{
		Use:                   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short:                 "Update configuration of one or more containers",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdate(cmd, g, o, args)
		},
	}
	f := cmd.Flags()
	f.Uint16Var(&o.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	f.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	f.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	f.Int64Var(&o.cpuRtPeriod, "cpu-rt-period", 0, "Limit the CPU real-time period in microseconds")
	f.Int64Var(&o.cpuRtRuntime, "cpu-rt-runtime", 0, "Limit the CPU real-time runtime in microseconds")
	f.StringVar(&o.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.StringVar(&o.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	f.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.VarP(&o.memory, "memory", "m", "Memory limit")
	f.Var(&o.memoryReservation, "memory-reservation", "Memory soft limit")
	f.Var(&o.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	f.StringVar(&o.restart, "restart", "", "Restart policy to apply when a container exits")
	f.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	f.Var(&o.cpus, "cpus", "Number of CPUs")
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}

// config builds the engine's update from the flags given (a zero field
// means "unchanged", as in docker's API).
func (o *updateOptions) config(cmd *cobra.Command) (ctypes.UpdateConfig, error) {
	changed := 0 // the global --root/--runroot do not count
	cmd.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			changed++
		}
	})
	if changed == 0 {
		return ctypes.UpdateConfig{}, errors.New("you must provide one or more flags when using this command")
	}
	var u ctypes.UpdateConfig
	if o.restart != "" {
		p, err := parseRestartPolicy(o.restart)
		if err != nil {
			return u, err
		}
		u.RestartPolicy = p
	}
	u.Resources = ctypes.Resources{
		BlkioWeight: o.blkioWeight, CpusetCpus: o.cpusetCpus, CpusetMems: o.cpusetMems,
		CPUShares: o.cpuShares, Memory: int64(o.memory), MemoryReservation: int64(o.memoryReservation),
		MemorySwap: int64(o.memorySwap), CPUPeriod: o.cpuPeriod, CPUQuota: o.cpuQuota,
		CPURealtimePeriod: o.cpuRtPeriod, CPURealtimeRuntime: o.cpuRtRuntime, NanoCPUs: int64(o.cpus),
	}
	if o.pidsLimit != 0 {
		u.PidsLimit = &o.pidsLimit
	}
	return u, nil
}

func runUpdate(cmd *cobra.Command, g *Globals, o *updateOptions, refs []string) error {
	u, err := o.config(cmd)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	var (
		warns []string
		errs  []error
	)
	for _, ref := range refs {
		w, err := e.UpdateContainer(cmd.Context(), ref, u)
		if err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintln(cmd.OutOrStdout(), ref)
		}
		warns = append(warns, w...)
	}
	if len(warns) > 0 {
		fmt.Fprintln(cmd.OutOrStdout(), strings.Join(warns, "\n"))
	}
	if len(errs) > 0 {
		return &ExitError{Code: 1, Err: errors.Join(errs...)}
	}
	return nil
}
