package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	goruntime "runtime"

	"github.com/onggi/onggi/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultRuntimeRoot is runc's /run/runc, renamed so the two never share state.
const defaultRuntimeRoot = "/run/onggi-runc"

// runtimeVersion is what `onggi-runc --version` reports.
const runtimeVersion = "0.1.0"

// NewRuncCmd is the command tree when the binary runs as onggi-runc: the same
// as `onggi runtime`, at the top level, as runc's CLI is.
func NewRuncCmd() *cobra.Command {
	cmd := newRuntimeCmd(&Globals{})
	cmd.Use = "onggi-runc"
	return cmd
}

// errNotRunning is runc's message for a signal to a stopped container.
var errNotRunning = errors.New("container not running")

// runtimeGlobals are runc's global flags. Under `onggi runtime` they shadow
// the engine's persistent --root and --debug: cobra adds a parent's
// persistent flag to a subcommand only when no nearer command defines the
// same name, so the runtime's --root (default /run/onggi-runc) wins.
type runtimeGlobals struct {
	root, log, logFormat string
	debug, systemdCgroup bool
	criu, rootless       string
	logger               *runcLogger
}

// newRuntimeCmd builds `onggi runtime`, runc's command line.
var newRuntimeCmd = func(_ *Globals) *cobra.Command {
	rg := &runtimeGlobals{}
	cmd := &cobra.Command{
		Use:           "runtime",
		Short:         "runc-compatible OCI runtime",
		Version:       fmt.Sprintf("%s\nspec: %s\ngo: %s", runtimeVersion, specs.Version, goruntime.Version()),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.CompletionOptions.DisableDefaultCmd = true
	// Unknown verbs are errors reported like any other (exit 1), not
	// cobra's own message and onggi's engine exit code.
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		return rg.fail(c, fmt.Errorf("unknown command %q", args[0]))
	}
	rg.addFlags(cmd.PersistentFlags())
	cmd.SetVersionTemplate("{{.Name}} version {{.Version}}\n")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return rg.fail(c, err) })
	for _, build := range runtimeVerbs {
		sub := build(rg)
		rg.wrap(sub)
		cmd.AddCommand(sub)
	}
	return cmd
}

// addFlags defines runc's global flags.
func (rg *runtimeGlobals) addFlags(pf *pflag.FlagSet) {
	pf.StringVar(&rg.root, "root", defaultRuntimeRoot, "root directory for storage of container state (this should be located in tmpfs)")
	pf.StringVar(&rg.log, "log", "", "set the log file to write onggi-runc logs to (default is stderr)")
	pf.StringVar(&rg.logFormat, "log-format", "text", "set the log format ('text' (default), or 'json')")
	pf.BoolVar(&rg.debug, "debug", false, "enable debug logging")
	pf.BoolVar(&rg.systemdCgroup, "systemd-cgroup", false, "read cgroupsPath as systemd's slice:prefix:name")
	pf.StringVar(&rg.criu, "criu", "criu", "path to the criu binary (accepted for compatibility; checkpoint is not supported)")
	pf.StringVar(&rg.rootless, "rootless", "auto", "ignore cgroup permission errors ('true', 'false', or 'auto')")
	// runc's --rootless takes a value; a bare --rootless means true.
	pf.Lookup("rootless").NoOptDefVal = "true"
}

var _ = addCommand(func(g *Globals) *cobra.Command { return newRuntimeCmd(g) })

// runtimeVerbs are the runc verbs, one file each (cli/runtime_*.go).
var runtimeVerbs = []func(*runtimeGlobals) *cobra.Command{
	newRuntimeCreateCmd, newRuntimeStartCmd, newRuntimeRunCmd, newRuntimeStateCmd,
	newRuntimeKillCmd, newRuntimeDeleteCmd, newRuntimeExecCmd, newRuntimePsCmd,
	newRuntimeListCmd, newRuntimePauseCmd, newRuntimeResumeCmd, newRuntimeUpdateCmd,
	newRuntimeEventsCmd, newRuntimeFeaturesCmd, newRuntimeSpecCmd,
}

// wrap routes every error of sub, argument-count errors included, through
// fail, so it is reported as runc reports it.
func (rg *runtimeGlobals) wrap(sub *cobra.Command) {
	run, checkArgs := sub.RunE, sub.Args
	sub.Args = cobra.ArbitraryArgs
	sub.RunE = func(c *cobra.Command, args []string) error {
		if err := rg.setupLog(c); err != nil {
			return rg.fail(c, err)
		}
		if checkArgs != nil {
			if err := checkArgs(c, args); err != nil {
				return rg.fail(c, err)
			}
		}
		rg.logger.debugf("%s %v", c.Name(), args)
		return rg.fail(c, run(c, args))
	}
}

// fail reports err as runc does (logged at level error, and also printed
// plainly on stderr when the log goes elsewhere) and returns an ExitError
// that cli.Execute does not print again. An ExitError without Err is a
// status to pass on (a container's exit code) and is returned as is.
func (rg *runtimeGlobals) fail(c *cobra.Command, err error) error {
	if err == nil {
		return nil
	}
	code := 1
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err == nil {
			return ee
		}
		code, err = ee.Code, ee.Err
	}
	// runc's exact words for these classes: containerd's shim and podman
	// match them in the message (kill of a stopped container is "already
	// finished" only if it says "container not running").
	switch {
	case errors.Is(err, runtime.ErrNotExist):
		err = runtime.ErrNotExist
	case errors.Is(err, runtime.ErrNotRunning):
		err = errNotRunning
	}
	if rg.logger == nil {
		rg.logger = newRuncLogger(c.ErrOrStderr(), false, false)
	}
	rg.logger.errorf("%v", err)
	if !rg.logger.toStderr {
		fmt.Fprintln(c.ErrOrStderr(), err)
	}
	return &ExitError{Code: code}
}

// open returns the Runtime for --root and --systemd-cgroup.
func (rg *runtimeGlobals) open() (*runtime.Runtime, error) {
	root, err := filepath.Abs(rg.root)
	if err != nil {
		return nil, fmt.Errorf("resolving --root %q: %w", rg.root, err)
	}
	return runtime.New(root, runtime.WithSystemdCgroup(rg.systemdCgroup))
}

// load opens the runtime and loads the container named by args[0].
func (rg *runtimeGlobals) load(args []string) (*runtime.Container, error) {
	r, err := rg.open()
	if err != nil {
		return nil, err
	}
	return r.Load(args[0])
}

// needArgs is runc's checkArgs: exactly n arguments, the first a container id.
func needArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%q requires exactly %d argument(s)", c.Name(), n)
		}
		return nil
	}
}

// argRange accepts min..max arguments.
func argRange(min, max int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < min {
			return fmt.Errorf("%q requires a minimum of %d argument(s)", c.Name(), min)
		}
		if max >= 0 && len(args) > max {
			return fmt.Errorf("%q requires a maximum of %d argument(s)", c.Name(), max)
		}
		return nil
	}
}
