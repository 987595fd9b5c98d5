package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
)

// rowFormatter renders the container and volume verbs' --format output the
// way docker does: "table TEMPLATE" (a header row then tab-aligned rows),
// "json" (one object per row) or a bare template per row. Unlike the image
// formatter its header is any value the template can run on, so a method
// with arguments such as {{.Label "k"}} renders in the header too.
type rowFormatter struct {
	w      io.Writer
	tw     *tabwriter.Writer
	tmpl   *template.Template
	header any
	json   bool
	table  bool
	wrote  bool
}

// newRowFormatter parses format (docker's template functions included).
func newRowFormatter(w io.Writer, format string, header any) (*rowFormatter, error) {
	f := &rowFormatter{w: w, header: header}
	switch {
	case format == "json":
		f.json = true
		return f, nil
	case strings.HasPrefix(format, "table"):
		f.table = true
		format = strings.TrimSpace(strings.TrimPrefix(format, "table"))
		// docker's table writer: minwidth 10, tabwidth 1, padding 3.
		f.tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	t, err := template.New("format").Funcs(rowTemplateFuncs()).Parse(format + "\n")
	if err != nil {
		return nil, &ExitError{Code: 125, Err: fmt.Errorf("template parsing error: %w", err)}
	}
	f.tmpl = t
	return f, nil
}

// rowTemplateFuncs are the image formatter's functions plus docker's
// table and println helpers.
func rowTemplateFuncs() template.FuncMap {
	fm := template.FuncMap{}
	for k, v := range imageTemplateFuncs {
		fm[k] = v
	}
	// truncate by runes so a multi-byte name is not cut in half.
	fm["truncate"] = func(s string, n int) string {
		if r := []rune(s); len(r) > n {
			return string(r[:n])
		}
		return s
	}
	fm["println"] = func(args ...any) string { return fmt.Sprintln(args...) }
	// docker's json does not escape <, > and & (a command line stays
	// readable: "echo a > b").
	fm["json"] = func(v any) (string, error) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimSuffix(buf.String(), "\n"), nil
	}
	return fm
}

func (f *rowFormatter) writeHeader() error {
	if f.table && !f.wrote && f.header != nil {
		if err := f.tmpl.Execute(f.tw, f.header); err != nil {
			return &ExitError{Code: 125, Err: fmt.Errorf("template: %w", err)}
		}
	}
	f.wrote = true
	return nil
}

// Row writes one row: its JSON, or the template run on it.
func (f *rowFormatter) Row(v any) error {
	if f.json {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(f.w, "%s\n", b)
		return err
	}
	if err := f.writeHeader(); err != nil {
		return err
	}
	out := f.w
	if f.table {
		out = f.tw
	}
	if err := f.tmpl.Execute(out, v); err != nil {
		return &ExitError{Code: 125, Err: fmt.Errorf("template: %w", err)}
	}
	return nil
}

// Flush ends the output; a table with no rows still prints its header.
func (f *rowFormatter) Flush() error {
	if !f.table {
		return nil
	}
	if err := f.writeHeader(); err != nil {
		return err
	}
	return f.tw.Flush()
}

// ellipsis shortens s to n runes, the last one "…" (docker's
// formatter.Ellipsis).
func ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "…"
}

// shortID is docker's TruncateID: 12 hex digits without "sha256:".
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
