package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/onggi/onggi/image"
	"github.com/spf13/cobra"
)

func newImageInspectCmd(g *Globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] IMAGE [IMAGE...]",
		Short: "Display detailed information on one or more images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImageInspect(cmd, g, format, args)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template ('json' or a Go template)")
	return cmd
}

// runImageInspect prints docker's JSON array, or the template per image.
// Templates run over the JSON form (maps), so field names are docker's and
// {{.Config.Cmd}} prints as docker prints it. Like docker, a missing image
// is reported after the others and the exit status is 1.
func runImageInspect(cmd *cobra.Command, g *Globals, format string, refs []string) error {
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	var records, typed []any
	var missing []string
	for _, ref := range refs {
		rec, err := e.InspectImage(cmd.Context(), ref)
		if err != nil {
			if errors.Is(err, image.ErrNotFound) {
				missing = append(missing, ref)
				continue
			}
			return imageError(ref, err)
		}
		typed = append(typed, rec)
		raw, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		var generic any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&generic); err != nil {
			return err
		}
		records = append(records, generic)
	}
	if format == "" || format == "json" {
		records = typed // keep docker's field order
	}
	if err := printInspect(cmd, format, records); err != nil {
		return err
	}
	if len(missing) > 0 {
		return &ExitError{Code: 1, Err: fmt.Errorf("No such image: %s", strings.Join(missing, ", "))}
	}
	return nil
}

func printInspect(cmd *cobra.Command, format string, records []any) error {
	out := cmd.OutOrStdout()
	if format == "" || format == "json" {
		if records == nil {
			records = []any{}
		}
		b, err := json.MarshalIndent(records, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	}
	fm, err := newImageFormatter(out, format, nil)
	if err != nil {
		return err
	}
	for _, r := range records {
		if err := fm.Row(r); err != nil {
			return err
		}
	}
	return fm.Flush()
}
