package cli

import (
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

type imageHistoryOptions struct {
	human, noTrunc, quiet bool
	format                string
}

// historyRow is one line of `image history` with docker's field names.
type historyRow struct {
	ID           string
	CreatedSince string
	CreatedAt    string
	CreatedBy    string
	Size         string
	Comment      string
}

var historyHeaders = map[string]string{
	"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
	"Size": "SIZE", "Comment": "COMMENT",
}

func newImageHistoryCmd(g *Globals) *cobra.Command {
	o := &imageHistoryOptions{}
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImageHistory(cmd, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.human, "human", "H", true, "Print sizes and dates in human readable format")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only show image IDs")
	f.StringVar(&o.format, "format", "", "Format output using a custom template")
	return cmd
}

func runImageHistory(cmd *cobra.Command, g *Globals, o *imageHistoryOptions, ref string) error {
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	items, err := e.ImageHistory(cmd.Context(), ref)
	if err != nil {
		return imageError(ref, err)
	}
	format := o.format
	switch {
	case o.quiet:
		format = "{{.ID}}"
	case format == "" || format == "table":
		format = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
	}
	fm, err := newImageFormatter(cmd.OutOrStdout(), format, historyHeaders)
	if err != nil {
		return err
	}
	for _, it := range items {
		row := historyRow{ID: it.ID, CreatedBy: it.CreatedBy, Comment: it.Comment}
		if it.ID != "<missing>" {
			row.ID = imageShortID(it.ID, o.noTrunc)
		}
		if !o.noTrunc {
			row.CreatedBy = imageEllipsis(row.CreatedBy, 45)
		}
		if o.human {
			row.CreatedSince = imageSince(it.Created)
			row.CreatedAt = time.Unix(it.Created, 0).Format(time.RFC3339)
			row.Size = imageHumanSize(it.Size)
		} else {
			row.CreatedSince = time.Unix(it.Created, 0).Format(time.RFC3339)
			row.CreatedAt = row.CreatedSince
			row.Size = strconv.FormatInt(it.Size, 10)
		}
		if o.quiet && it.ID == "<missing>" {
			continue
		}
		if err := fm.Row(row); err != nil {
			return err
		}
	}
	return fm.Flush()
}

// imageEllipsis shortens s to n characters as docker does ("…" at the end).
func imageEllipsis(s string, n int) string {
	s = strings.ReplaceAll(s, "\t", " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
