package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/spf13/cobra"
)

// networkConnectOptions are `network connect`'s flags.
type networkConnectOptions struct {
	ip, ip6    string
	aliases    []string
	links      []string
	linkLocal  []string
	driverOpts []string
	gwPriority int
}

func newNetworkConnectCmd(g *Globals) *cobra.Command {
	o := &networkConnectOptions{}
	cmd := &cobra.Command{
		Use:                   "connect [OPTIONS] NETWORK CONTAINER",
		Short:                 "Connect a container to a network",
		Args:                  requiresExactArgs(2),
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			es, err := o.endpoint()
			if err != nil {
				return imageUsage(cmd, "%v", err)
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			return networkError(e.ConnectNetwork(cmd.Context(), args[0], args[1], es))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ip, "ip", "", `IPv4 address (e.g., "172.30.100.104")`)
	f.StringVar(&o.ip6, "ip6", "", `IPv6 address (e.g., "2001:db8::33")`)
	f.StringSliceVar(&o.links, "link", nil, "Add link to another container")
	f.StringSliceVar(&o.aliases, "alias", nil, "Add network-scoped alias for the container")
	f.StringSliceVar(&o.linkLocal, "link-local-ip", nil, "Add a link-local address for the container")
	f.StringSliceVar(&o.driverOpts, "driver-opt", nil, "driver options for the network")
	f.IntVar(&o.gwPriority, "gw-priority", 0, "Highest gw-priority provides the default gateway. Accepts positive and negative values.")
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}

// endpoint is the request docker's CLI sends for connect.
func (o *networkConnectOptions) endpoint() (*network.EndpointSettings, error) {
	es := &network.EndpointSettings{Aliases: o.aliases, Links: o.links, GwPriority: o.gwPriority}
	ipam := &network.EndpointIPAMConfig{}
	var err error
	if o.ip != "" {
		if ipam.IPv4Address, err = parseFamilyAddr("ip", o.ip, true); err != nil {
			return nil, err
		}
	}
	if o.ip6 != "" {
		if ipam.IPv6Address, err = parseFamilyAddr("ip6", o.ip6, false); err != nil {
			return nil, err
		}
	}
	for _, s := range o.linkLocal {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--link-local-ip\" flag: invalid string being converted to IP address: %s", s, s)
		}
		ipam.LinkLocalIPs = append(ipam.LinkLocalIPs, a)
	}
	if ipam.IPv4Address.IsValid() || ipam.IPv6Address.IsValid() || len(ipam.LinkLocalIPs) > 0 {
		es.IPAMConfig = ipam
	}
	for _, kv := range o.driverOpts {
		k, v, ok := strings.Cut(kv, "=")
		if k = strings.TrimSpace(k); !ok || k == "" {
			return nil, errors.New("invalid key/value pair format in driver options")
		}
		if es.DriverOpts == nil {
			es.DriverOpts = map[string]string{}
		}
		es.DriverOpts[k] = strings.TrimSpace(v)
	}
	return es, nil
}

func newNetworkDisconnectCmd(g *Globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:                   "disconnect [OPTIONS] NETWORK CONTAINER",
		Short:                 "Disconnect a container from a network",
		Args:                  requiresExactArgs(2),
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			return networkError(e.DisconnectNetwork(cmd.Context(), args[0], args[1], force))
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the container to disconnect from a network")
	return cmd
}
