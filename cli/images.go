package cli

import (
	"strconv"
	"strings"
	"time"

	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/image/reference"
	"github.com/spf13/cobra"
)

var _ = addCommand(newImageListCmd)

type imageListOptions struct {
	quiet, digests, noTrunc, all bool
	format                       string
	filters                      []string
}

// imageRow is one line of `images`: docker's field names for --format, and
// its JSON shape for --format json.
type imageRow struct {
	Containers   string
	CreatedAt    string
	CreatedSince string
	Digest       string
	ID           string
	Repository   string
	SharedSize   string
	Size         string
	Tag          string
	UniqueSize   string
	VirtualSize  string
}

var imageListHeaders = map[string]string{
	"Containers": "CONTAINERS", "CreatedAt": "CREATED AT", "CreatedSince": "CREATED", "Digest": "DIGEST",
	"ID": "IMAGE ID", "Repository": "REPOSITORY", "SharedSize": "SHARED SIZE", "Size": "SIZE", "Tag": "TAG",
	"UniqueSize": "UNIQUE SIZE", "VirtualSize": "VIRTUAL SIZE",
}

func newImageListCmd(g *Globals) *cobra.Command {
	o := &imageListOptions{}
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.filters = append(o.filters, "reference="+args[0])
			}
			return runImageList(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only show image IDs")
	f.BoolVar(&o.digests, "digests", false, "Show digests")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	f.BoolVarP(&o.all, "all", "a", false, "Show all images (default hides intermediate images)")
	f.StringVar(&o.format, "format", "", "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
	f.StringArrayVarP(&o.filters, "filter", "f", nil, "Filter output based on conditions provided (dangling, reference, label)")
	return cmd
}

func runImageList(cmd *cobra.Command, g *Globals, o *imageListOptions) error {
	filters, err := imageParseFilters(o.filters)
	if err != nil {
		return err
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	imgs, err := e.ListImages(cmd.Context(), engine.ImageListOptions{All: o.all, Filters: filters})
	if err != nil {
		return imageError("", err)
	}
	format := o.format
	switch {
	case o.quiet:
		format = "{{.ID}}"
	case format == "" || format == "table":
		format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
		if o.digests {
			format = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
		}
	}
	fm, err := newImageFormatter(cmd.OutOrStdout(), format, imageListHeaders)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, img := range imgs {
		for _, row := range imageRows(img, o.noTrunc) {
			if o.quiet {
				if seen[row.ID] {
					continue
				}
				seen[row.ID] = true
			}
			if err := fm.Row(row); err != nil {
				return err
			}
		}
	}
	return fm.Flush()
}

// imageRows expands an image into docker's rows: one per tag, or one
// <none> row for an untagged image.
func imageRows(img engine.ImageSummary, noTrunc bool) []imageRow {
	base := imageRow{
		Containers: "N/A", CreatedSince: imageSince(img.Created), ID: imageShortID(img.ID, noTrunc),
		Size: imageHumanSize(img.Size), SharedSize: "N/A", UniqueSize: "N/A", VirtualSize: imageHumanSize(img.Size),
		CreatedAt: time.Unix(img.Created, 0).String(),
	}
	if img.Containers > 0 {
		base.Containers = strconv.FormatInt(img.Containers, 10)
	}
	var rows []imageRow
	for _, t := range img.RepoTags {
		r := base
		r.Repository, r.Tag = splitFamiliarTag(t)
		r.Digest = repoDigest(img, r.Repository)
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		r := base
		r.Repository, r.Tag, r.Digest = "<none>", "<none>", repoDigest(img, "")
		if len(img.RepoDigests) > 0 {
			r.Repository, _, _ = strings.Cut(img.RepoDigests[0], "@")
		}
		rows = append(rows, r)
	}
	return rows
}

// repoDigest is the digest docker shows in --digests: the image's digest in
// that repository if it has one (pulled images), else the manifest digest
// (what docker's containerd store shows for local images).
func repoDigest(img engine.ImageSummary, repo string) string {
	for _, d := range img.RepoDigests {
		if r, dg, ok := strings.Cut(d, "@"); ok && (repo == "" || r == repo) {
			return dg
		}
	}
	if img.Manifest != "" {
		return img.Manifest
	}
	return "<none>"
}

// splitFamiliarTag splits "busybox:latest" or "localhost:5000/a:1".
func splitFamiliarTag(t string) (repo, tag string) {
	if r, err := reference.Parse(t); err == nil && r.Tag() != "" {
		return r.FamiliarName(), r.Tag()
	}
	i := strings.LastIndex(t, ":")
	if i < 0 || strings.Contains(t[i:], "/") {
		return t, "<none>"
	}
	return t[:i], t[i+1:]
}
