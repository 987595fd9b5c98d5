package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
)

func parseUpdate(t *testing.T, args ...string) (*runtimeUpdateOpts, *cobra.Command) {
	t.Helper()
	o := &runtimeUpdateOpts{}
	cmd := &cobra.Command{}
	o.addFlags(cmd.Flags())
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	return o, cmd
}

func TestUpdateFlagsSetOnlyWhatIsGiven(t *testing.T) {
	o, cmd := parseUpdate(t, "--memory", "64m", "--cpu-shares", "512", "--pids-limit", "10", "--cpuset-cpus", "0")
	r, err := o.build(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if r.Memory == nil || *r.Memory.Limit != 64<<20 || r.Memory.Swap != nil || r.Memory.Reservation != nil {
		t.Errorf("memory = %+v", r.Memory)
	}
	if r.CPU == nil || *r.CPU.Shares != 512 || r.CPU.Quota != nil || r.CPU.Cpus != "0" {
		t.Errorf("cpu = %+v", r.CPU)
	}
	if r.Pids == nil || *r.Pids.Limit != 10 || r.BlockIO != nil {
		t.Errorf("pids/blkio = %+v %+v", r.Pids, r.BlockIO)
	}
	o, cmd = parseUpdate(t, "--blkio-weight", "300")
	if r, err = o.build(cmd); err != nil || r.Memory != nil || r.CPU != nil || *r.BlockIO.Weight != 300 {
		t.Errorf("blkio only: %+v %v", r, err)
	}
	o, cmd = parseUpdate(t, "--memory", "lots")
	if _, err := o.build(cmd); err == nil {
		t.Error("--memory lots accepted")
	}
}

func TestUpdateResourcesFileWins(t *testing.T) {
	f := filepath.Join(t.TempDir(), "r.json")
	os.WriteFile(f, []byte(`{"memory":{"limit":1048576},"cpu":{"quota":5000}}`), 0o644)
	o, cmd := parseUpdate(t, "-r", f, "--pids-limit", "10")
	r, err := o.build(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if *r.Memory.Limit != 1<<20 || *r.CPU.Quota != 5000 || r.Pids != nil {
		t.Errorf("resources from file: %+v", r)
	}
}
