package cli

import "github.com/spf13/cobra"

// NewRuncCmd is the command tree when the binary runs as onggi-runc: the same
// as `onggi runtime`, at the top level, as runc's CLI is.
func NewRuncCmd() *cobra.Command {
	cmd := newRuntimeCmd(&Globals{})
	cmd.Use = "onggi-runc"
	return cmd
}

// newRuntimeCmd is replaced by the runtime CLI (cli/runtime_*.go).
var newRuntimeCmd = func(g *Globals) *cobra.Command {
	return &cobra.Command{Use: "runtime", Short: "runc-compatible OCI runtime"}
}

var _ = addCommand(func(g *Globals) *cobra.Command { return newRuntimeCmd(g) })
