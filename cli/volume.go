package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/volume"
	"github.com/spf13/cobra"
)

// `onggi volume` groups the volume verbs (no top-level aliases, as docker).
var _ = addCommand(newVolumeCmd)

func newVolumeCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "volume",
		Short: "Manage volumes",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newVolumeCreateCmd(g), newVolumeListCmd(g), newVolumeInspectCmd(g),
		newVolumeRemoveCmd(g), newVolumePruneCmd(g))
	return cmd
}

func newVolumeCreateCmd(g *Globals) *cobra.Command {
	var labels, opts []string
	var name string
	o := volume.CreateOptions{}
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = name
			if len(args) == 1 {
				if name != "" && name != args[0] {
					return imageUsage(cmd, "conflicting options: either specify --name or provide positional arg, not both")
				}
				o.Name = args[0]
			}
			var err error
			if o.Labels, err = keyValues(labels, false); err != nil {
				return imageUsage(cmd, "%v", err)
			}
			if o.Options, err = keyValues(opts, true); err != nil {
				return imageUsage(cmd, "%v", err)
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			v, err := e.CreateVolume(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), v.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Driver, "driver", "d", "local", "Specify volume driver name")
	f.StringArrayVar(&labels, "label", nil, "Set metadata for a volume")
	f.StringArrayVarP(&opts, "opt", "o", nil, "Set driver specific options")
	f.StringVar(&name, "name", "", "Specify volume name")
	f.MarkHidden("name")
	return cmd
}

// keyValues reads repeated k=v flags; a bare key is an empty value for
// labels (docker's rule) but an error for driver options.
func keyValues(list []string, needValue bool) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(list))
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" || (needValue && !ok) {
			return nil, fmt.Errorf("invalid key/value pair format: %s", kv)
		}
		out[k] = v
	}
	return out, nil
}

// volumeJSON is docker's volume inspect object (its field order).
type volumeJSON struct {
	CreatedAt  string
	Driver     string
	Labels     map[string]string
	Mountpoint string
	Name       string
	Options    map[string]string
	Scope      string
}

// newVolumeJSON shows CreatedAt as docker does (RFC 3339, seconds).
func newVolumeJSON(v engine.VolumeInfo) volumeJSON {
	if v.Volume == nil {
		return volumeJSON{}
	}
	return volumeJSON{
		CreatedAt: v.CreatedAt.Format(time.RFC3339), Driver: v.Driver, Labels: v.Labels,
		Mountpoint: v.Mountpoint, Name: v.Name, Options: v.Options, Scope: v.Scope,
	}
}

func newVolumeInspectCmd(g *Globals) *cobra.Command {
	o := &inspectOptions{kind: "volume"}
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] VOLUME [VOLUME...]",
		Short: "Display detailed information on one or more volumes",
		Args:  cobra.MinimumNArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runInspect(cmd, g, o, args) },
	}
	cmd.Flags().StringVarP(&o.format, "format", "f", "", "Format output using a custom template ('json' or a Go template)")
	return cmd
}
