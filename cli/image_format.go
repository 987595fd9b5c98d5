package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"
)

// The helpers here render docker-style --format output for the image
// commands: "table TEMPLATE" (a header line, then rows aligned by tabs),
// "json" (one JSON object per row), or a bare Go template per row. Names
// carry an image prefix so other verbs' helpers cannot collide with them.

// imageTemplateFuncs are the functions docker's --format templates offer.
var imageTemplateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join":  strings.Join,
	"split": strings.Split,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"pad": func(s string, l, r int) string { return strings.Repeat(" ", l) + s + strings.Repeat(" ", r) },
	"truncate": func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s
	},
}

// imageFormatter writes rows with a docker-style format.
type imageFormatter struct {
	w       io.Writer
	tw      *tabwriter.Writer
	tmpl    *template.Template
	json    bool
	headers map[string]string
	table   bool
	wrote   bool
}

// newImageFormatter parses format; headers maps field names to column
// titles for the table form.
func newImageFormatter(w io.Writer, format string, headers map[string]string) (*imageFormatter, error) {
	f := &imageFormatter{w: w, headers: headers}
	switch {
	case format == "json":
		f.json = true
		return f, nil
	case strings.HasPrefix(format, "table"):
		f.table = true
		format = strings.TrimSpace(strings.TrimPrefix(format, "table"))
		f.tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	t, err := template.New("format").Funcs(imageTemplateFuncs).Parse(format + "\n")
	if err != nil {
		return nil, &ExitError{Code: 125, Err: fmt.Errorf("template parsing error: %w", err)}
	}
	f.tmpl = t
	return f, nil
}

// Row writes one row (v is a struct or map the template reads).
func (f *imageFormatter) Row(v any) error {
	if f.json {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(f.w, "%s\n", b)
		return err
	}
	out := f.w
	if f.table {
		out = f.tw
		if !f.wrote {
			if err := f.tmpl.Execute(f.tw, f.headers); err != nil {
				return fmt.Errorf("rendering header: %w", err)
			}
		}
	}
	f.wrote = true
	if err := f.tmpl.Execute(out, v); err != nil {
		return &ExitError{Code: 125, Err: fmt.Errorf("template: %w", err)}
	}
	return nil
}

// Flush ends the output; a table with no rows still prints its header.
func (f *imageFormatter) Flush() error {
	if f.table {
		if !f.wrote {
			if err := f.tmpl.Execute(f.tw, f.headers); err != nil {
				return fmt.Errorf("rendering header: %w", err)
			}
		}
		return f.tw.Flush()
	}
	return nil
}

// imageHumanSize is docker's size display (go-units HumanSizeWithPrecision
// with 3 digits, decimal units): 4.26MB, 117MB, 980B.
func imageHumanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	size := float64(n)
	i := 0
	for size >= 1000 && i < len(units)-1 {
		size /= 1000
		i++
	}
	return fmt.Sprintf("%.*g%s", 3, size, units[i])
}

// imageHumanDuration is docker's "CREATED" wording (go-units HumanDuration).
func imageHumanDuration(d time.Duration) string {
	seconds := int(d.Seconds())
	minutes := int(d.Minutes())
	hours := int(d.Hours() + 0.5)
	switch {
	case seconds < 1:
		return "Less than a second"
	case seconds == 1:
		return "1 second"
	case seconds < 60:
		return fmt.Sprintf("%d seconds", seconds)
	case minutes == 1:
		return "About a minute"
	case minutes < 60:
		return fmt.Sprintf("%d minutes", minutes)
	case hours == 1:
		return "About an hour"
	case hours < 48:
		return fmt.Sprintf("%d hours", hours)
	case hours < 24*7*2:
		return fmt.Sprintf("%d days", hours/24)
	case hours < 24*30*2:
		return fmt.Sprintf("%d weeks", hours/24/7)
	case hours < 24*365*2:
		return fmt.Sprintf("%d months", hours/24/30)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}

// imageSince is "N units ago" for a Unix time, or "N/A" when unknown.
func imageSince(unix int64) string {
	if unix <= 0 {
		return "N/A"
	}
	return imageHumanDuration(time.Since(time.Unix(unix, 0))) + " ago"
}

// imageShortID is the 12-hex form of "sha256:…" unless noTrunc.
func imageShortID(id string, noTrunc bool) string {
	if noTrunc {
		return id
	}
	hex := strings.TrimPrefix(id, "sha256:")
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return hex
}

// imageParseFilters reads repeated --filter key=value flags.
func imageParseFilters(flags []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, &ExitError{Code: 125, Err: fmt.Errorf("bad format of filter (expected name=value): %s", f)}
		}
		out[strings.ToLower(strings.TrimSpace(k))] = append(out[strings.ToLower(strings.TrimSpace(k))], v)
	}
	return out, nil
}
