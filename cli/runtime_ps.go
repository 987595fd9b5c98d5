package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

func newRuntimePsCmd(rg *runtimeGlobals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "ps [flags] <container-id> [ps options]",
		Short: "ps displays the processes running inside a container",
		Args:  argRange(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rg.load(args)
			if err != nil {
				return err
			}
			pids, err := c.Processes()
			if err != nil {
				return err
			}
			switch format {
			case "json":
				if pids == nil {
					pids = []int{}
				}
				return json.NewEncoder(cmd.OutOrStdout()).Encode(pids)
			case "table":
				return psTable(cmd, pids, args[1:])
			}
			return errors.New("invalid format option")
		},
	}
	// Options after the id are ps(1)'s (ps x1 -o pid,comm).
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVarP(&format, "format", "f", "table", "select one of: table or json")
	return cmd
}

// psTable runs ps(1) on the host and keeps its header and the lines of the
// container's pids, found by the PID column (runc's behaviour).
func psTable(cmd *cobra.Command, pids []int, psArgs []string) error {
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	out, err := exec.Command("ps", psArgs...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("running ps %s: %w: %s", strings.Join(psArgs, " "), err, out)
	}
	lines := strings.Split(string(out), "\n")
	pidCol := slices.Index(strings.Fields(lines[0]), "PID")
	if pidCol < 0 {
		return errors.New("couldn't find PID field in ps output")
	}
	w := cmd.OutOrStdout()
	fmt.Fprintln(w, lines[0])
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) <= pidCol {
			continue
		}
		pid, err := strconv.Atoi(fields[pidCol])
		if err != nil {
			return fmt.Errorf("unexpected pid %q in ps output", fields[pidCol])
		}
		if slices.Contains(pids, pid) {
			fmt.Fprintln(w, line)
		}
	}
	return nil
}
