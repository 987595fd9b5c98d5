package cli

import (
	"github.com/spf13/cobra"
)

// `onggi container` groups the container verbs; each verb exists at the top
// level too (run, ps, rm, …) as in docker. A verb registers itself in both
// places with addContainerCommand from its own file:
//
//	var _ = addContainerCommand(newStopCmd)
//
// ps is `container ls`/`container list`; prune exists only under container.
var _ = addCommand(newContainerCmd)

var containerSubcommands []func(*Globals) *cobra.Command

// addContainerCommand adds a verb at the top level and under `container`.
func addContainerCommand(fn func(*Globals) *cobra.Command) struct{} {
	containerSubcommands = append(containerSubcommands, fn)
	return addCommand(fn)
}

func newContainerCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "container",
		Short: "Manage containers",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	for _, add := range containerSubcommands {
		cmd.AddCommand(add(g))
	}
	return cmd
}
