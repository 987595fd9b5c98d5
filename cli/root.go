// Package cli turns command lines into engine calls and formats their output.
// It holds no container logic of its own: one file per verb, flags into an
// options struct, output to cmd.OutOrStdout(). Only main calls os.Exit.
package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

// Globals are the flags every onggi command accepts.
type Globals struct {
	Root    string
	RunRoot string
	Debug   bool
}

// ExitError carries an exit code chosen by a command (docker's 125/126/127,
// or a container's own status) up to main.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// NewRootCmd builds the `onggi` command tree.
func NewRootCmd() *cobra.Command {
	g := &Globals{}
	root := &cobra.Command{
		Use:           "onggi",
		Short:         "onggi is a daemonless container engine",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.Root, "root", envOr("ONGGI_ROOT", "/var/lib/onggi"), "persistent state directory (ONGGI_ROOT)")
	pf.StringVar(&g.RunRoot, "runroot", envOr("ONGGI_RUNROOT", "/run/onggi"), "runtime state directory (ONGGI_RUNROOT)")
	pf.BoolVar(&g.Debug, "debug", false, "print debug output")
	pf.Var(timingFlag{}, "debug-timing", "print the hot path's timing spans on stderr (ONGGI_DEBUG_TIMING=1)")
	pf.Lookup("debug-timing").NoOptDefVal = "true"
	for _, add := range subcommands {
		root.AddCommand(add(g))
	}
	return root
}

// subcommands lists the constructors of the top-level verbs. Each verb's file
// adds itself here from a var block (no init functions), e.g.
//
//	var _ = addCommand(newImagesCmd)
var subcommands []func(*Globals) *cobra.Command

func addCommand(fn func(*Globals) *cobra.Command) struct{} {
	subcommands = append(subcommands, fn)
	return struct{}{}
}

// Execute runs cmd and returns the process exit code, printing the error the
// way docker does ("onggi: <err>" on stderr).
func Execute(cmd *cobra.Command) int {
	engine.Mark("cli.execute")
	err := cmd.Execute()
	engine.Mark("cli.done")
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", cmd.Name(), ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", cmd.Name(), err)
	return ExitCode(err)
}

// timingFlag is --debug-timing: setting it turns the spans on at once, for
// this process and (through the environment) the monitor it spawns.
type timingFlag struct{}

func (timingFlag) String() string   { return "false" }
func (timingFlag) Type() string     { return "bool" }
func (timingFlag) IsBoolFlag() bool { return true }
func (timingFlag) Set(v string) error {
	if v == "true" || v == "1" {
		engine.EnableTiming()
	}
	return nil
}
