package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

var _ = addCommand(newLoginCmd)

type loginOptions struct {
	registryClientOptions
	username      string
	password      string
	passwordStdin bool
}

func newLoginCmd(g *Globals) *cobra.Command {
	o := &loginOptions{}
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry",
		Long: `Log in to a registry (Docker Hub when SERVER is omitted).

Credentials are saved in Docker's config.json ($DOCKER_CONFIG, default
~/.docker), through its credential helper if one is configured, so docker
and onggi share logins.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := ""
			if len(args) == 1 {
				server = args[0]
			}
			return runLogin(cmd, g, o, server)
		},
	}
	o.addFlags(cmd, false)
	f := cmd.Flags()
	f.StringVarP(&o.username, "username", "u", "", "username")
	f.StringVarP(&o.password, "password", "p", "", "password")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "take the password from stdin")
	return cmd
}

var errNoUsername = errors.New("username is empty")

func runLogin(cmd *cobra.Command, g *Globals, o *loginOptions, server string) error {
	if o.password != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
		if o.passwordStdin {
			return imageUsage(cmd, "--password and --password-stdin are mutually exclusive")
		}
	}
	in := bufio.NewReader(cmd.InOrStdin())
	if o.passwordStdin {
		if o.username == "" {
			return imageUsage(cmd, "must provide --username with --password-stdin")
		}
		b, err := io.ReadAll(in)
		if err != nil {
			return err
		}
		o.password = strings.TrimRight(string(b), "\r\n")
	}
	if err := promptCredentials(cmd, in, o); err != nil {
		return err
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	c := newRegistryClient(cmd, e, &o.registryClientOptions)
	if err := c.Login(cmd.Context(), registryHost(server), o.username, o.password, ""); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	fmt.Fprintln(cmd.OutOrStdout(), "Login Succeeded")
	return nil
}

// promptCredentials asks for what the flags did not give, as docker does,
// without echoing the password on a terminal.
func promptCredentials(cmd *cobra.Command, in *bufio.Reader, o *loginOptions) error {
	out := cmd.OutOrStdout()
	if o.username == "" {
		fmt.Fprint(out, "Username: ")
		line, _ := in.ReadString('\n')
		o.username = strings.TrimSpace(line)
		if o.username == "" {
			return &ExitError{Code: 1, Err: errNoUsername}
		}
	}
	if o.password != "" {
		return nil
	}
	fmt.Fprint(out, "Password: ")
	if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(out)
		if err != nil {
			return err
		}
		o.password = string(b)
		return nil
	}
	line, _ := in.ReadString('\n')
	o.password = strings.TrimRight(line, "\r\n")
	return nil
}
