package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/onggi/onggi/builder"
	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/errdefs"
	"github.com/spf13/cobra"
)

var _ = addCommand(newBuildCmd)

type buildFlags struct {
	file, target, iidfile, platform, progress, network string
	tags, buildArgs, labels, secrets, outputs          []string
	quiet, noCache, pull, rm, forceRm                  bool
}

func newBuildCmd(g *Globals) *cobra.Command {
	f := &buildFlags{}
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] PATH | -",
		Short: "Build an image from a Dockerfile",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", `Name of the Dockerfile (default: "PATH/Dockerfile")`)
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, `Name and optionally a tag (format: "name:tag")`)
	fl.StringArrayVar(&f.buildArgs, "build-arg", nil, "Set build-time variables")
	fl.StringVar(&f.target, "target", "", "Set the target build stage to build")
	fl.StringArrayVar(&f.labels, "label", nil, "Set metadata for an image")
	fl.StringVar(&f.iidfile, "iidfile", "", "Write the image ID to the file")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "Suppress the build output and print image ID on success")
	fl.BoolVar(&f.noCache, "no-cache", false, "Do not use cache when building the image")
	fl.BoolVar(&f.pull, "pull", false, "Always attempt to pull a newer version of the image")
	fl.StringVar(&f.platform, "platform", "", "Set platform if server is multi-platform capable")
	fl.StringArrayVar(&f.secrets, "secret", nil, `Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")`)
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, `Output destination (format: "type=local,dest=path")`)
	fl.StringVar(&f.progress, "progress", "auto", `Set type of progress output ("auto", "plain", "tty", "quiet")`)
	fl.StringVar(&f.network, "network", "default", `Set the networking mode for the RUN instructions during build ("default", "host", "none")`)
	fl.BoolVar(&f.rm, "rm", true, "Remove intermediate containers after a successful build")
	fl.BoolVar(&f.forceRm, "force-rm", false, "Always remove intermediate containers")
	return cmd
}

func runBuild(cmd *cobra.Command, g *Globals, f *buildFlags, path string) error {
	o, err := buildOptions(cmd, f, path)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	stderr := cmd.ErrOrStderr()
	mode := f.progress
	if f.quiet {
		mode = "quiet"
	}
	pr, err := newBuildProgress(stderr, mode)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	o.Progress = pr.event
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	// Ctrl-C cancels the build, so a running step's container is killed
	// and its mounts, snapshot and bundle are cleaned up before exiting.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	img, err := e.Build(ctx, o)
	pr.close(err)
	if err != nil {
		buildFailure(stderr, err)
		return &ExitError{Code: 1}
	}
	if f.iidfile != "" {
		if err := os.WriteFile(f.iidfile, []byte(img.ID.String()), 0o644); err != nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("writing iidfile: %w", err)}
		}
	}
	if f.quiet {
		fmt.Fprintln(cmd.OutOrStdout(), img.ID.String())
		return nil
	}
	pr.exported(img.ID.String(), o.Tags)
	return nil
}

// buildOptions turns the flags into the engine's options.
func buildOptions(cmd *cobra.Command, f *buildFlags, path string) (engine.BuildOptions, error) {
	o := engine.BuildOptions{ContextDir: path, Stdin: cmd.InOrStdin(), Stdout: cmd.OutOrStdout(),
		Tags: f.tags, Target: f.target, NoCache: f.noCache, Pull: f.pull, Platform: f.platform, Network: f.network}
	o.Dockerfile = f.file
	if f.file != "" && f.file != "-" && path != "-" && !filepath.IsAbs(f.file) {
		// docker's CLI resolves -f against its working directory.
		abs, err := filepath.Abs(f.file)
		if err != nil {
			return o, err
		}
		o.Dockerfile = abs
	}
	o.BuildArgs = map[string]string{}
	for _, a := range f.buildArgs {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			// docker: --build-arg NAME takes the value from the environment,
			// and is skipped when the environment has none.
			if v, ok = os.LookupEnv(k); !ok {
				continue
			}
		}
		o.BuildArgs[k] = v
	}
	o.Labels = map[string]string{}
	for _, l := range f.labels {
		k, v, _ := strings.Cut(l, "=")
		o.Labels[k] = v
	}
	var err error
	if o.Secrets, err = parseSecrets(f.secrets); err != nil {
		return o, err
	}
	if len(f.outputs) > 1 {
		return o, errdefs.Errorf(errdefs.ErrInvalid, "multiple outputs are not supported")
	}
	if len(f.outputs) == 1 {
		if o.Output, err = parseOutput(f.outputs[0]); err != nil {
			return o, err
		}
	}
	return o, nil
}

// parseSecrets reads --secret id=x[,src=path|env=VAR] (type=file
// default); the secret's bytes are read by the builder when a RUN mounts
// it.
func parseSecrets(in []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range in {
		var id, src, env string
		for _, field := range strings.Split(s, ",") {
			k, v, _ := strings.Cut(field, "=")
			switch strings.ToLower(k) {
			case "id":
				id = v
			case "src", "source":
				src = v
			case "env":
				env = v
			case "type":
				if v != "file" && v != "env" {
					return nil, errdefs.Errorf(errdefs.ErrInvalid, "unsupported secret type %q", v)
				}
			default:
				return nil, errdefs.Errorf(errdefs.ErrInvalid, "unexpected key '%s' in '%s'", k, field)
			}
		}
		if id == "" {
			id = filepath.Base(src)
		}
		if src == "" && env == "" {
			env = id
		}
		if env != "" && src == "" {
			p, err := secretFromEnv(env)
			if err != nil {
				return nil, err
			}
			src = p
		}
		out[id] = src
	}
	return out, nil
}

// secretFromEnv writes an environment variable's value to a private temp
// file so the builder reads every secret the same way.
func secretFromEnv(name string) (string, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return "", errdefs.Errorf(errdefs.ErrNotFound, "secret env %s: not set", name)
	}
	f, err := os.CreateTemp("", "onggi-secret-")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.WriteString(f, v); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// parseOutput reads -o: "type=local,dest=dir", "type=tar,dest=file", or
// a bare path (local; "-" is a tar on stdout), as docker's.
func parseOutput(s string) (engine.BuildOutput, error) {
	if !strings.Contains(s, "=") {
		if s == "-" {
			return engine.BuildOutput{Type: "tar", Dest: "-"}, nil
		}
		return engine.BuildOutput{Type: "local", Dest: s}, nil
	}
	var o engine.BuildOutput
	for _, field := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(field, "=")
		switch k {
		case "type":
			o.Type = v
		case "dest":
			o.Dest = v
		default:
			return o, errdefs.Errorf(errdefs.ErrInvalid, "output: unsupported attribute %q", k)
		}
	}
	if o.Type != "local" && o.Type != "tar" {
		return o, errdefs.Errorf(errdefs.ErrInvalid, "output: unsupported type %q (local, tar)", o.Type)
	}
	return o, nil
}

// buildFailure prints a failed build as BuildKit does: the failing step's
// last output, the Dockerfile location, and "ERROR: failed to solve".
func buildFailure(w io.Writer, err error) {
	var re *builder.RunError
	var se *builder.StepError
	var pe *builder.ParseError
	switch {
	case errors.As(err, &se):
		fmt.Fprintf(w, "%s:%d\n--------------------\n  %3d | >>> %s\n--------------------\n", se.File, se.Line, se.Line, se.Instruction)
		err = se.Err
	case errors.As(err, &pe) && pe.Line > 0:
		fmt.Fprintf(w, "%s:%d\n--------------------\n  %3d | >>> %s\n--------------------\n", pe.File, pe.Line, pe.Line, pe.Instruction)
		err = fmt.Errorf("dockerfile parse error on line %d: %w", pe.Line, pe.Err)
	}
	if errors.As(err, &re) && len(re.Output) > 0 {
		fmt.Fprintln(w, "------")
		for _, l := range lastLines(re.Output, 10) {
			fmt.Fprintln(w, " > "+l)
		}
		fmt.Fprintln(w, "------")
	}
	fmt.Fprintf(w, "ERROR: failed to solve: %v\n", err)
}

func lastLines(b []byte, n int) []string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
