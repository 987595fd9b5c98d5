package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/errdefs"
	"github.com/spf13/cobra"
)

type inspectOptions struct {
	format string
	size   bool
	kind   string // --type; "" tries container, image, volume
}

// newContainerInspectCmd is `container inspect` (container.go adds it;
// the top-level `inspect` in inspect.go takes any kind of object).
func newContainerInspectCmd(g *Globals) *cobra.Command {
	o := &inspectOptions{kind: "container"}
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Display detailed information on one or more containers",
		Args:  cobra.MinimumNArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runInspect(cmd, g, o, args) },
	}
	cmd.Flags().StringVarP(&o.format, "format", "f", "", "Format output using a custom template ('json' or a Go template)")
	cmd.Flags().BoolVarP(&o.size, "size", "s", false, "Display total file sizes")
	return cmd
}

// inspected is one object found: its typed value (templates run on it
// first, as docker's) and its JSON.
type inspected struct {
	typed any
	raw   []byte
}

// runInspect prints docker's JSON array of the objects found, or the
// template once per object; the names not found are reported together
// afterwards with exit status 1, as docker's inspect does.
func runInspect(cmd *cobra.Command, g *Globals, o *inspectOptions, refs []string) error {
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	var found []inspected
	var missing []string
	for _, ref := range refs {
		v, err := inspectOne(cmd.Context(), e, o.kind, ref)
		if errors.Is(err, errdefs.ErrNotFound) {
			missing = append(missing, notFoundMessage(o.kind, ref))
			continue
		}
		if err != nil {
			return err
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		found = append(found, inspected{typed: v, raw: raw})
	}
	tmplErrs, err := printInspected(cmd, o.format, found)
	if err != nil {
		return err
	}
	if missing = append(missing, tmplErrs...); len(missing) > 0 {
		return &ExitError{Code: 1, Err: errors.New(strings.Join(missing, "\n"))}
	}
	return nil
}

func notFoundMessage(kind, ref string) string {
	switch kind {
	case "container":
		return "No such container: " + ref
	case "image":
		return "No such image: " + ref
	case "volume":
		return "No such volume: " + ref
	case "network":
		return "No such network: " + ref
	}
	return "No such object: " + ref
}

// inspectOne finds ref as kind, or as a container, an image, a volume
// (docker's order), then a network when kind is "". Not found is errdefs.ErrNotFound.
func inspectOne(ctx context.Context, e *engine.Engine, kind, ref string) (any, error) {
	kinds := []string{kind}
	if kind == "" {
		kinds = []string{"container", "image", "volume", "network"}
	}
	for _, k := range kinds {
		v, err := inspectKind(ctx, e, k, ref)
		if err == nil || !isNotFound(err) {
			return v, err
		}
	}
	return nil, fmt.Errorf("%s: %w", ref, errdefs.ErrNotFound)
}

func inspectKind(ctx context.Context, e *engine.Engine, kind, ref string) (any, error) {
	switch kind {
	case "container":
		return e.InspectContainer(ctx, ref)
	case "image":
		return e.InspectImage(ctx, ref)
	case "volume":
		v, err := e.InspectVolume(ctx, ref)
		if err != nil {
			return nil, err
		}
		return newVolumeJSON(v), nil
	case "network":
		return e.InspectNetwork(ctx, ref)
	}
	return nil, fmt.Errorf("%q is not a valid value for --type: %w", kind, errdefs.ErrInvalid)
}

// printInspected writes what docker's inspectors write: the indented
// array by default, a compact one for "json", or the template's output
// per object. Template errors on an object are returned (exit status 1)
// after the other objects are printed.
func printInspected(cmd *cobra.Command, format string, found []inspected) ([]string, error) {
	out := cmd.OutOrStdout()
	if format == "" || format == "json" {
		b, err := inspectJSON(found, format == "")
		if err != nil {
			return nil, err
		}
		_, err = out.Write(b)
		return nil, err
	}
	tmpl, err := template.New("").Funcs(rowTemplateFuncs()).Parse(format)
	if err != nil {
		// docker's status for a template that does not parse
		return nil, &ExitError{Code: 64, Err: fmt.Errorf("template parsing error: %w", err)}
	}
	var buf bytes.Buffer
	var errs []string
	for _, f := range found {
		if err := inspectTemplate(&buf, tmpl, f); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if buf.Len() == 0 {
		buf.WriteString("\n")
	}
	_, err = out.Write(buf.Bytes())
	return errs, err
}

// inspectJSON is docker's layout: the objects' JSON in an array, indented
// by four spaces or compact ("[]" when nothing was found), then a newline.
func inspectJSON(found []inspected, indent bool) ([]byte, error) {
	if len(found) == 0 {
		return []byte("[]\n"), nil
	}
	var buf bytes.Buffer
	buf.WriteString("[")
	for i, f := range found {
		if i > 0 {
			buf.WriteString(",")
		}
		buf.Write(f.raw)
	}
	buf.WriteString("]")
	var out bytes.Buffer
	var err error
	if indent {
		err = json.Indent(&out, buf.Bytes(), "", "    ")
	} else {
		err = json.Compact(&out, buf.Bytes())
	}
	if err != nil {
		return nil, err
	}
	out.WriteString("\n")
	return out.Bytes(), nil
}

// inspectTemplate runs the template on the typed object and, when that
// fails (a field only the JSON has, or a map key), on the decoded JSON with
// missing keys as errors — docker's fallback, so {{.State.Status}} and
// {{.Id}} both work.
func inspectTemplate(w *bytes.Buffer, tmpl *template.Template, f inspected) error {
	var out bytes.Buffer
	if err := tmpl.Execute(&out, f.typed); err != nil {
		out.Reset()
		var generic any
		dec := json.NewDecoder(bytes.NewReader(f.raw))
		dec.UseNumber()
		if err := dec.Decode(&generic); err != nil {
			return fmt.Errorf("unable to read inspect data: %w", err)
		}
		if err := tmpl.Option("missingkey=error").Execute(&out, generic); err != nil {
			return fmt.Errorf("template parsing error: %w", err)
		}
	}
	w.Write(out.Bytes())
	w.WriteByte('\n')
	return nil
}
