package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/spf13/cobra"
)

// `onggi network` groups the network verbs (docker's names, flags, output).
var _ = addCommand(newNetworkCmd)

func newNetworkCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Manage networks",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newNetworkCreateCmd(g), newNetworkListCmd(g), newNetworkInspectCmd(g),
		newNetworkRemoveCmd(g), newNetworkPruneCmd(g), newNetworkConnectCmd(g),
		newNetworkDisconnectCmd(g))
	return cmd
}

// networkCreateOptions are `network create`'s flags.
type networkCreateOptions struct {
	driver, ipamDriver, scope string
	opts, labels, ipamOpts    listValue
	auxAddresses              listValue
	subnets, ipRanges, gws    []string
	internal, ipv4, ipv6      bool
	attachable, ingress       bool
	configOnly                bool
	configFrom                string
}

func newNetworkCreateCmd(g *Globals) *cobra.Command {
	o := &networkCreateOptions{}
	cmd := &cobra.Command{
		Use:                   "create [OPTIONS] NETWORK",
		Short:                 "Create a network",
		Args:                  requiresExactArgs(1),
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := o.request(cmd)
			if err != nil {
				return err
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			resp, err := e.CreateNetwork(cmd.Context(), args[0], req)
			if err != nil {
				return networkError(err)
			}
			if resp.Warning != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "WARNING:", resp.Warning)
			}
			fmt.Fprintln(cmd.OutOrStdout(), resp.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.driver, "driver", "d", "bridge", "Driver to manage the Network")
	f.VarP(&o.opts, "opt", "o", "Set driver specific options")
	f.Var(&o.labels, "label", "Set metadata on a network")
	f.BoolVar(&o.internal, "internal", false, "Restrict external access to the network")
	f.BoolVar(&o.ipv4, "ipv4", true, "Enable or disable IPv4 address assignment")
	f.BoolVar(&o.ipv6, "ipv6", false, "Enable or disable IPv6 address assignment")
	f.BoolVar(&o.attachable, "attachable", false, "Enable manual container attachment")
	f.BoolVar(&o.ingress, "ingress", false, "Create swarm routing-mesh network")
	f.StringVar(&o.scope, "scope", "", "Control the network's scope")
	f.BoolVar(&o.configOnly, "config-only", false, "Create a configuration only network")
	f.StringVar(&o.configFrom, "config-from", "", "The network from which to copy the configuration")
	f.StringVar(&o.ipamDriver, "ipam-driver", "default", "IP Address Management Driver")
	f.StringSliceVar(&o.subnets, "subnet", nil, "Subnet in CIDR format that represents a network segment")
	f.StringSliceVar(&o.ipRanges, "ip-range", nil, "Allocate container ip from a sub-range")
	f.StringSliceVar(&o.gws, "gateway", nil, "IPv4 or IPv6 Gateway for the master subnet")
	f.Var(&o.auxAddresses, "aux-address", "Auxiliary IPv4 or IPv6 addresses used by Network driver")
	f.Var(&o.ipamOpts, "ipam-opt", "Set IPAM driver specific options")
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}

// request builds docker's create request, refusing the swarm-only options
// onggi has no use for rather than ignoring them.
func (o *networkCreateOptions) request(cmd *cobra.Command) (network.CreateRequest, error) {
	switch {
	case o.ingress, o.configOnly, o.configFrom != "", o.scope == "swarm", o.scope == "global":
		return network.CreateRequest{}, networkError(errors.New("swarm networks (--ingress, --config-only, --config-from, --scope swarm) are not supported"))
	}
	// docker checks labels as flags (status 125), takes -o bare keys as
	// empty values, and words IPAM mistakes as a failed request (1).
	labels, err := keyValues(o.labels, false)
	if err != nil {
		return network.CreateRequest{}, imageUsage(cmd, "%v", err)
	}
	opts, _ := keyValues(o.opts, false)
	ipam, err := o.ipamConfig()
	if err != nil {
		return network.CreateRequest{}, networkError(err)
	}
	req := network.CreateRequest{
		Driver: o.driver, Scope: o.scope, IPAM: ipam, Internal: o.internal,
		Attachable: o.attachable, Options: opts, Labels: labels,
	}
	if cmd.Flags().Changed("ipv4") {
		req.EnableIPv4 = &o.ipv4
	}
	if cmd.Flags().Changed("ipv6") {
		req.EnableIPv6 = &o.ipv6
	}
	return req, nil
}

// ipamConfig is docker's createIPAMConfig: every --ip-range, --gateway and
// --aux-address belongs to the one --subnet that contains it; subnets may
// not overlap. The subnets keep the order given.
func (o *networkCreateOptions) ipamConfig() (*network.IPAM, error) {
	if len(o.subnets) < len(o.ipRanges) || len(o.subnets) < len(o.gws) {
		return nil, errors.New("every ip-range or gateway must have a corresponding subnet")
	}
	cfgs := make([]network.IPAMConfig, 0, len(o.subnets))
	for _, s := range o.subnets {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("invalid subnet: %w", err)
		}
		for _, c := range cfgs {
			if c.Subnet.Overlaps(p) {
				return nil, errors.New("multiple overlapping subnet configuration is not supported")
			}
		}
		cfgs = append(cfgs, network.IPAMConfig{Subnet: p})
	}
	if err := assignRanges(cfgs, o.ipRanges); err != nil {
		return nil, err
	}
	if err := assignGateways(cfgs, o.gws); err != nil {
		return nil, err
	}
	if err := assignAux(cfgs, o.auxAddresses); err != nil {
		return nil, err
	}
	opts, _ := keyValues(o.ipamOpts, false)
	return &network.IPAM{Driver: o.ipamDriver, Config: cfgs, Options: opts}, nil
}

// subnetFor is the index of the config whose subnet holds a, or -1.
func subnetFor(cfgs []network.IPAMConfig, a netip.Addr) int {
	for i, c := range cfgs {
		if c.Subnet.Contains(a) {
			return i
		}
	}
	return -1
}

func assignRanges(cfgs []network.IPAMConfig, ranges []string) error {
	for _, r := range ranges {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return fmt.Errorf("invalid argument %q for \"--ip-range\" flag: %w", r, err)
		}
		i := subnetFor(cfgs, p.Addr())
		if i < 0 {
			return fmt.Errorf("no matching subnet for range %s", r)
		}
		if cfgs[i].IPRange.IsValid() {
			return fmt.Errorf("cannot configure multiple ranges (%s, %s) on the same subnet (%s)", r, cfgs[i].IPRange, cfgs[i].Subnet)
		}
		cfgs[i].IPRange = p
	}
	return nil
}

func assignGateways(cfgs []network.IPAMConfig, gws []string) error {
	for _, g := range gws {
		a, err := netip.ParseAddr(g)
		if err != nil {
			return fmt.Errorf("invalid argument %q for \"--gateway\" flag: invalid string being converted to IP address: %s", g, g)
		}
		i := subnetFor(cfgs, a)
		if i < 0 {
			return fmt.Errorf("no matching subnet for gateway %s", g)
		}
		if cfgs[i].Gateway.IsValid() {
			return fmt.Errorf("cannot configure multiple gateways (%s, %s) for the same subnet (%s)", g, cfgs[i].Gateway, cfgs[i].Subnet)
		}
		cfgs[i].Gateway = a
	}
	return nil
}

func assignAux(cfgs []network.IPAMConfig, aux []string) error {
	for _, kv := range aux {
		name, v, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return fmt.Errorf("invalid key/value pair format: %s", kv)
		}
		if v == "" {
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return err
		}
		i := subnetFor(cfgs, a)
		if i < 0 {
			return fmt.Errorf("no matching subnet for aux-address %s", v)
		}
		if cfgs[i].AuxAddress == nil {
			cfgs[i].AuxAddress = map[string]netip.Addr{}
		}
		cfgs[i].AuxAddress[name] = a
	}
	return nil
}

func newNetworkInspectCmd(g *Globals) *cobra.Command {
	var format string
	var verbose bool
	cmd := &cobra.Command{
		Use:                   "inspect [OPTIONS] NETWORK [NETWORK...]",
		Short:                 "Display detailed information on one or more networks",
		Args:                  requiresMinArgs(1),
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return networkError(runInspect(cmd, g, &inspectOptions{format: format, kind: "network"}, args))
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template ('json' or a Go template)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "Verbose output for diagnostics")
	return cmd
}

// networkError gives an engine error docker's status for the network verbs
// (1: the daemon refused), keeping a status already chosen.
func networkError(err error) error {
	var ee *ExitError
	if err == nil || errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: 1, Err: err}
}
