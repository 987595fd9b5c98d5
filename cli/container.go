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
// ps is `container ls`/`container list`; prune exists only under container,
// and `container inspect` differs from the top-level `inspect` (any object).
var _ = addCommand(newContainerCmd)

var containerSubcommands []func(*Globals) *cobra.Command

// addContainerCommand adds a verb at the top level and under `container`.
func addContainerCommand(fn func(*Globals) *cobra.Command) struct{} {
	containerSubcommands = append(containerSubcommands, fn)
	return addCommand(fn)
}

// containerOnlyCommands exist under `container` alone.
var containerOnlyCommands = []func(*Globals) *cobra.Command{newContainerListCmd, newContainerPruneCmd, newContainerInspectCmd}

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
	for _, add := range containerOnlyCommands {
		cmd.AddCommand(add(g))
	}
	return cmd
}

// newContainerListCmd is ps under docker's `container ls` name.
func newContainerListCmd(g *Globals) *cobra.Command {
	cmd := newPsCmd(g)
	cmd.Use, cmd.Aliases = "ls [OPTIONS]", []string{"list", "ps"}
	return cmd
}
