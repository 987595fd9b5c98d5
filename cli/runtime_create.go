package cli

import (
	"fmt"
	"path/filepath"

	"github.com/onggi/onggi/runtime"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// runtimeCreateOpts are the flags create and run share.
type runtimeCreateOpts struct {
	bundle, consoleSocket, pidFile string
	noPivot, noNewKeyring          bool
	preserveFDs                    int
}

func (o *runtimeCreateOpts) addFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.bundle, "bundle", "b", "", "path to the root of the bundle directory, defaults to the current directory")
	fs.StringVar(&o.consoleSocket, "console-socket", "", "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal")
	fs.StringVar(&o.pidFile, "pid-file", "", "specify the file to write the process id to")
	fs.BoolVar(&o.noPivot, "no-pivot", false, "do not use pivot root to jail process inside rootfs")
	fs.BoolVar(&o.noNewKeyring, "no-new-keyring", false, "do not create a new session keyring for the container")
	fs.IntVar(&o.preserveFDs, "preserve-fds", 0, "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)")
}

// runtimeOpts turns the flags into runtime.CreateOpts with absolute paths,
// as runc resolves them before it changes directory.
func (o *runtimeCreateOpts) runtimeOpts() (runtime.CreateOpts, error) {
	bundle := o.bundle
	if bundle == "" {
		bundle = "."
	}
	abs := func(p string) (string, error) {
		if p == "" {
			return "", nil
		}
		return filepath.Abs(p)
	}
	var err error
	co := runtime.CreateOpts{NoPivot: o.noPivot, NoNewKeyring: o.noNewKeyring, PreserveFDs: o.preserveFDs}
	if co.Bundle, err = abs(bundle); err != nil {
		return co, fmt.Errorf("resolving bundle %q: %w", bundle, err)
	}
	if co.PidFile, err = abs(o.pidFile); err != nil {
		return co, fmt.Errorf("resolving pid file %q: %w", o.pidFile, err)
	}
	if co.ConsoleSocket, err = abs(o.consoleSocket); err != nil {
		return co, fmt.Errorf("resolving console socket %q: %w", o.consoleSocket, err)
	}
	if o.preserveFDs < 0 {
		return co, fmt.Errorf("--preserve-fds %d: must not be negative", o.preserveFDs)
	}
	return co, nil
}

func newRuntimeCreateCmd(rg *runtimeGlobals) *cobra.Command {
	o := &runtimeCreateOpts{}
	cmd := &cobra.Command{
		Use:   "create [flags] <container-id>",
		Short: "create a container",
		Args:  needArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := runRuntimeCreate(rg, o, args[0]); err != nil {
				return fmt.Errorf("%s create failed: %w", progName(cmd), err)
			}
			return nil
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

func runRuntimeCreate(rg *runtimeGlobals, o *runtimeCreateOpts, id string) error {
	co, err := o.runtimeOpts()
	if err != nil {
		return err
	}
	if co.ConsoleSocket == "" {
		// runc refuses here, before anything is set up, rather than
		// leaving a pty nobody reads.
		terminal, err := bundleTerminal(co.Bundle)
		if err != nil {
			return err
		}
		if terminal {
			return errDetachedTTY
		}
	}
	r, err := rg.open()
	if err != nil {
		return err
	}
	_, err = r.Create(id, co)
	return err
}

// progName is "onggi-runc" or "onggi runtime", for runc-style messages.
func progName(cmd *cobra.Command) string {
	if p := cmd.Parent(); p != nil {
		return p.CommandPath()
	}
	return cmd.Name()
}
