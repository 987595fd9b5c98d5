package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type runtimeUpdateOpts struct {
	resources                                  string
	memoryLimit, memoryReservation, memorySwap string
	cpuShares, cpuPeriod, cpuRtPeriod          uint64
	cpuQuota, cpuRtRuntime, pidsLimit          int64
	cpusetCpus, cpusetMems, l3Cache, memBw     string
	blkioWeight                                uint16
}

func newRuntimeUpdateCmd(rg *runtimeGlobals) *cobra.Command {
	o := &runtimeUpdateOpts{}
	cmd := &cobra.Command{
		Use:   "update [flags] <container-id>",
		Short: "update container resource constraints",
		Args:  needArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := o.build(cmd)
			if err != nil {
				return err
			}
			c, err := rg.load(args)
			if err != nil {
				return err
			}
			return c.Update(res)
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

// addFlags defines runc update's flags.
func (o *runtimeUpdateOpts) addFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.resources, "resources", "r", "", "path to the file containing the resources to update or '-' to read from the standard input")
	fs.Uint16Var(&o.blkioWeight, "blkio-weight", 0, "Specifies per cgroup weight, range is from 10 to 1000")
	fs.Uint64Var(&o.cpuPeriod, "cpu-period", 0, "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default")
	fs.Int64Var(&o.cpuQuota, "cpu-quota", 0, "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period")
	fs.Uint64Var(&o.cpuShares, "cpu-share", 0, "CPU shares (relative weight vs. other containers)")
	fs.Uint64Var(&o.cpuRtPeriod, "cpu-rt-period", 0, "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default")
	fs.Int64Var(&o.cpuRtRuntime, "cpu-rt-runtime", 0, "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period")
	fs.StringVar(&o.cpusetCpus, "cpuset-cpus", "", "CPU(s) to use")
	fs.StringVar(&o.cpusetMems, "cpuset-mems", "", "Memory node(s) to use")
	fs.StringVar(&o.memoryLimit, "memory", "", "Memory limit (in bytes)")
	fs.StringVar(&o.memoryReservation, "memory-reservation", "", "Memory reservation or soft_limit (in bytes)")
	fs.StringVar(&o.memorySwap, "memory-swap", "", "Total memory usage (memory + swap); set '-1' to enable unlimited swap")
	fs.Int64Var(&o.pidsLimit, "pids-limit", 0, "Maximum number of pids allowed in the container")
	fs.StringVar(&o.l3Cache, "l3-cache-schema", "", "The string of Intel RDT/CAT L3 cache schema")
	fs.StringVar(&o.memBw, "mem-bw-schema", "", "The string of Intel RDT/MBA memory bandwidth schema")
	// Accept docker's spelling of runc's --cpu-share.
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "cpu-shares" {
			name = "cpu-share"
		}
		return pflag.NormalizedName(name)
	})
}

// build returns the resources to set: --resources's JSON (which, as in
// runc, makes every other flag ignored) or only the flags given.
func (o *runtimeUpdateOpts) build(cmd *cobra.Command) (*specs.LinuxResources, error) {
	if o.resources != "" {
		return readResources(cmd, o.resources)
	}
	set := cmd.Flags().Changed
	r := &specs.LinuxResources{}
	var err error
	if r.Memory, err = o.memoryRes(set); err != nil {
		return nil, err
	}
	r.CPU = o.cpuRes(set)
	if set("pids-limit") {
		r.Pids = &specs.LinuxPids{Limit: &o.pidsLimit}
	}
	if set("blkio-weight") {
		r.BlockIO = &specs.LinuxBlockIO{Weight: &o.blkioWeight}
	}
	if set("l3-cache-schema") || set("mem-bw-schema") {
		return nil, fmt.Errorf("intel RDT is not supported")
	}
	return r, nil
}

// memoryRes is the memory part of the flags, nil when none is set.
func (o *runtimeUpdateOpts) memoryRes(set func(string) bool) (*specs.LinuxMemory, error) {
	if !set("memory") && !set("memory-reservation") && !set("memory-swap") {
		return nil, nil
	}
	m := &specs.LinuxMemory{}
	for _, f := range []struct {
		flag, val string
		dst       **int64
	}{{"memory", o.memoryLimit, &m.Limit}, {"memory-reservation", o.memoryReservation, &m.Reservation}, {"memory-swap", o.memorySwap, &m.Swap}} {
		if !set(f.flag) {
			continue
		}
		v, err := parseBytes(f.val)
		if err != nil {
			return nil, fmt.Errorf("invalid value for %s: %w", f.flag, err)
		}
		*f.dst = &v
	}
	return m, nil
}

// cpuRes is the cpu part of the flags, nil when none is set.
func (o *runtimeUpdateOpts) cpuRes(set func(string) bool) *specs.LinuxCPU {
	if !set("cpu-share") && !set("cpu-period") && !set("cpu-quota") && !set("cpu-rt-period") &&
		!set("cpu-rt-runtime") && !set("cpuset-cpus") && !set("cpuset-mems") {
		return nil
	}
	c := &specs.LinuxCPU{Cpus: o.cpusetCpus, Mems: o.cpusetMems}
	if set("cpu-share") {
		c.Shares = &o.cpuShares
	}
	if set("cpu-period") {
		c.Period = &o.cpuPeriod
	}
	if set("cpu-quota") {
		c.Quota = &o.cpuQuota
	}
	if set("cpu-rt-period") {
		c.RealtimePeriod = &o.cpuRtPeriod
	}
	if set("cpu-rt-runtime") {
		c.RealtimeRuntime = &o.cpuRtRuntime
	}
	return c
}

func readResources(cmd *cobra.Command, path string) (*specs.LinuxResources, error) {
	var in io.Reader = cmd.InOrStdin()
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("opening resources file: %w", err)
		}
		defer f.Close()
		in = f
	}
	var r specs.LinuxResources
	if err := json.NewDecoder(in).Decode(&r); err != nil {
		return nil, fmt.Errorf("decoding resources %s: %w", path, err)
	}
	return &r, nil
}

// parseBytes reads a size as runc (docker/go-units RAMInBytes): a number
// with an optional binary unit (k, m, g, t, p; "b"/"ib" suffix allowed),
// and -1 for unlimited.
func parseBytes(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	mult := int64(1)
	if n := len(t); n > 0 {
		if i := strings.IndexByte("kmgtp", t[n-1]); i >= 0 {
			mult = int64(1) << (10 * (i + 1))
			t = t[:n-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("invalid size: %q", s)
	}
	return int64(f * float64(mult)), nil
}
