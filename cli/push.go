package cli

import (
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"

	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/reference"
	"github.com/onggi/onggi/registry/client"
)

var _ = addCommand(newPushCmd)

type pushOptions struct {
	registryClientOptions
	allTags bool
}

func newPushCmd(g *Globals) *cobra.Command {
	o := &pushOptions{}
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG] [DESTINATION...]",
		Short: "Upload an image to a registry",
		Long: `Upload an image to a registry.

With DESTINATION arguments the image is pushed to each of them (other tags,
repositories or registries) instead of to NAME itself.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPush(cmd, g, o, args[0], args[1:])
		},
	}
	o.addFlags(cmd, true)
	cmd.Flags().BoolVarP(&o.allTags, "all-tags", "a", false, "push all tags of the local repository")
	cmd.Flags().Bool("disable-content-trust", true, "skip image signing (accepted for docker compatibility)")
	return cmd
}

func runPush(cmd *cobra.Command, g *Globals, o *pushOptions, src string, dests []string) error {
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	ref, err := reference.Parse(src)
	if err != nil {
		return imageUsage(cmd, "invalid reference format: %v", err)
	}
	sources := []string{ref.String()}
	if o.allTags {
		if hasExplicitTag(src, ref) {
			return imageUsage(cmd, "tag can't be used with --all-tags/-a")
		}
		if sources, err = localTags(cmd, e.Images(), ref); err != nil {
			return err
		}
	}
	// A manifest list that cannot be pushed whole falls back to one
	// platform's manifest with a note on stderr.
	c := newRegistryClient(cmd, e, &o.registryClientOptions, client.WithWarnings(cmd.ErrOrStderr()))
	out := cmd.OutOrStdout()
	for _, s := range sources {
		targets := dests
		if len(targets) == 0 {
			targets = []string{s}
		}
		// One target at a time, so each digest line follows its transfer.
		for _, t := range targets {
			results, err := c.Push(cmd.Context(), s, t)
			if err != nil {
				return &ExitError{Code: 1, Err: imageError(s, err)}
			}
			printPushed(out, results[0], o.quiet)
		}
	}
	return nil
}

func printPushed(out io.Writer, r client.PushResult, quiet bool) {
	if quiet {
		fmt.Fprintln(out, r.Ref)
		return
	}
	pr, _ := reference.Parse(r.Ref)
	tag := pr.Tag()
	if tag == "" {
		tag = pr.Digest().String()
	}
	fmt.Fprintf(out, "%s: digest: %s size: %d\n", tag, r.Digest, r.Size)
}

// localTags lists the local tags of ref's repository (push --all-tags).
func localTags(cmd *cobra.Command, images *image.Store, ref reference.Reference) ([]string, error) {
	imgs, err := images.List(cmd.Context())
	if err != nil {
		return nil, imageError("", err)
	}
	var tags []string
	for _, img := range imgs {
		for _, t := range img.RepoTags {
			if r, err := reference.Parse(t); err == nil && r.Name() == ref.Name() {
				tags = append(tags, r.String())
			}
		}
	}
	if len(tags) == 0 {
		return nil, imageError(ref.Familiar(), fmt.Errorf("no local tags of %s: %w", ref.Familiar(), image.ErrNotFound))
	}
	sort.Strings(tags)
	return tags, nil
}
