package cli

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newPortCmd)

func newPortCmd(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			ports, err := e.ContainerPorts(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			want := ""
			if len(args) == 2 {
				want = args[1]
			}
			lines, err := portLines(ports, want)
			if err != nil {
				var ce *classedError
				if errors.As(err, &ce) {
					ce.msg += " for " + args[0]
				}
				return err
			}
			for _, l := range lines {
				fmt.Fprintln(cmd.OutOrStdout(), l)
			}
			return nil
		},
	}
}

// portLines is docker port's output: "80/tcp -> 0.0.0.0:8080" for every
// published port, or only the host addresses of one private port.
func portLines(ports []ctypes.PortSummary, want string) ([]string, error) {
	var proto string
	var num uint64
	if want != "" {
		p, pr, _ := strings.Cut(want, "/")
		if pr == "" {
			pr = "tcp"
		}
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return nil, classedErrorf(errdefs.ErrInvalid, "invalid port %q", want)
		}
		num, proto = n, pr
	}
	ps := append([]ctypes.PortSummary(nil), ports...)
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].PrivatePort != ps[j].PrivatePort {
			return ps[i].PrivatePort < ps[j].PrivatePort
		}
		return ps[i].Type < ps[j].Type
	})
	var out []string
	for _, p := range ps {
		if p.PublicPort == 0 {
			continue
		}
		host := "0.0.0.0"
		if p.IP.IsValid() {
			host = p.IP.String()
		}
		addr := net.JoinHostPort(host, strconv.Itoa(int(p.PublicPort)))
		switch {
		case want == "":
			out = append(out, fmt.Sprintf("%d/%s -> %s", p.PrivatePort, p.Type, addr))
		case uint64(p.PrivatePort) == num && p.Type == proto:
			out = append(out, addr)
		}
	}
	if want != "" && len(out) == 0 {
		return nil, classedErrorf(errdefs.ErrNotFound, "No public port '%d/%s' published", num, proto)
	}
	return out, nil
}
