package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/onggi/onggi/image/manifest"
	"github.com/onggi/onggi/image/reference"
	"github.com/onggi/onggi/registry/client"
)

var _ = addCommand(newPullCmd)

type pullOptions struct {
	registryClientOptions
	allTags  bool
	allPlats bool
	platform string
}

func newPullCmd(g *Globals) *cobra.Command {
	o := &pullOptions{}
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd, g, o, args[0])
		},
	}
	o.addFlags(cmd, true)
	cmd.Flags().BoolVarP(&o.allTags, "all-tags", "a", false, "download all tagged images in the repository")
	cmd.Flags().StringVar(&o.platform, "platform", "", `set platform if server is multi-platform capable (os/arch[/variant], or "all")`)
	cmd.Flags().BoolVar(&o.allPlats, "all-platforms", false, "download the layers of every platform of a manifest list")
	cmd.Flags().Bool("disable-content-trust", true, "skip image verification (accepted for docker compatibility)")
	return cmd
}

func runPull(cmd *cobra.Command, g *Globals, o *pullOptions, arg string) error {
	ref, err := reference.Parse(arg)
	if err != nil {
		return imageUsage(cmd, "invalid reference format: %v", err)
	}
	// Manifest lists are always kept whole (manifests and configs); every
	// platform's layers too with --all-platforms, so push can send it all.
	extra := []client.Option{client.WithWarnings(cmd.ErrOrStderr())}
	if o.allPlats || o.platform == "all" {
		extra = append(extra, client.WithAllPlatforms())
	} else if o.platform != "" {
		p, err := manifest.ParsePlatform(o.platform)
		if err != nil {
			return imageUsage(cmd, "%v", err)
		}
		extra = append(extra, client.WithPlatform(p))
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	c := newRegistryClient(cmd, e, &o.registryClientOptions, extra...)
	refs := []string{ref.String()}
	if o.allTags {
		if hasExplicitTag(arg, ref) {
			return imageUsage(cmd, "tag can't be used with --all-tags/-a")
		}
		tags, err := c.Tags(cmd.Context(), ref.Name())
		if err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		refs = refs[:0]
		for _, t := range tags {
			r, _ := ref.WithTag(t)
			refs = append(refs, r.String())
		}
	} else if !o.quiet && !hasExplicitTag(arg, ref) {
		fmt.Fprintln(cmd.OutOrStdout(), "Using default tag: latest")
	}
	return pullRefs(cmd, c, o, refs)
}

func hasExplicitTag(arg string, ref reference.Reference) bool {
	if ref.Digest() != "" {
		return true
	}
	r, err := reference.ParseName(arg)
	return err != nil || r.String() != ref.NameOnly().String()
}

func pullRefs(cmd *cobra.Command, c *client.Client, o *pullOptions, refs []string) error {
	out := cmd.OutOrStdout()
	for _, r := range refs {
		ref, _ := reference.Parse(r)
		if !o.quiet {
			what := ref.Tag()
			if ref.Digest() != "" {
				what = ref.Digest().String()
			}
			fmt.Fprintf(out, "%s: Pulling from %s\n", what, ref.Path())
		}
		res, err := c.Pull(cmd.Context(), r)
		if err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		if !o.quiet {
			fmt.Fprintf(out, "Digest: %s\n", res.Digest)
			status := "Image is up to date for"
			if res.Fresh {
				status = "Downloaded newer image for"
			}
			fmt.Fprintf(out, "Status: %s %s\n", status, ref.Familiar())
		}
		fmt.Fprintln(out, ref.String())
	}
	return nil
}
