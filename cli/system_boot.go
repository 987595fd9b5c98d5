package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// systemBootLong documents the unit shipped as
// contrib/systemd/onggi-boot.service: onggi has no daemon, so nothing
// restarts containers after a reboot unless the init system runs this.
const systemBootLong = `Rebuild container state after a reboot and start the containers whose
restart policy asks for it.

The run state directory (--runroot, a tmpfs) is empty after a reboot while
container records under --root still say "running". This command marks them
exited and starts every container with restart policy "always", or
"unless-stopped" when it was not stopped by hand. It prints the ID of each
container it started.

Run it once at boot, for example with this systemd unit
(contrib/systemd/onggi-boot.service):

  [Unit]
  Description=Start onggi containers with a restart policy
  After=local-fs.target

  [Service]
  Type=oneshot
  ExecStart=/usr/local/bin/onggi system boot
  RemainAfterExit=yes

  [Install]
  WantedBy=multi-user.target

Install it with:

  cp contrib/systemd/onggi-boot.service /etc/systemd/system/
  systemctl daemon-reload
  systemctl enable onggi-boot.service

Use the same --root/--runroot (or ONGGI_ROOT/ONGGI_RUNROOT in an
Environment= line) as the commands that created the containers.`

func newSystemBootCmd(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "boot",
		Short: "Restore containers after a reboot (run by the onggi-boot systemd unit)",
		Long:  systemBootLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			ids, err := e.Boot(cmd.Context())
			for _, id := range ids {
				fmt.Fprintln(cmd.OutOrStdout(), id)
			}
			return err
		},
	}
}
