package builder

import (
	"context"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/onggi/onggi/builder/fscopy"
	"github.com/onggi/onggi/errdefs"
)

// RunError is a RUN step whose process failed; its text is BuildKit's.
type RunError struct {
	Args     []string
	ExitCode int
	// Output is the step's last output lines (also sent to progress).
	Output []byte
}

func (e *RunError) Error() string {
	return fmt.Sprintf("process %q did not complete successfully: exit code: %d", strings.Join(e.Args, " "), e.ExitCode)
}

// runSpec is a RUN step ready to execute.
type runSpec struct {
	args     []string
	env      []string
	user     string
	workdir  string
	network  string // "none" or "host"
	mounts   []*instructions.Mount
	script   *instructions.ShellInlineFile // a heredoc with a shebang, run as a file
	context  fscopy.Source
	stageFor func(from string) (*state, error)
}

func (r *stageRun) dispatchRun(ctx context.Context, c *instructions.RunCommand) error {
	for _, f := range c.FlagsUsed {
		if f != "mount" && f != "network" {
			// --security=insecure, --device: parsed by BuildKit's package,
			// refused here rather than silently ignored.
			return fmt.Errorf("%w: RUN --%s is not supported", errdefs.ErrInvalid, f)
		}
	}
	args, script, err := runArgs(c)
	if err != nil {
		return err
	}
	if c.PrependShell {
		args = r.withShell(instructions.ShellDependantCmdLine{CmdLine: args, PrependShell: true})
	}
	network := instructions.GetNetwork(c)
	if network == instructions.NetworkDefault && r.bd.o.Network != "" {
		network = r.bd.o.Network
	}
	switch network {
	case instructions.NetworkNone:
	case instructions.NetworkDefault, instructions.NetworkHost:
		network = "host"
	default:
		return fmt.Errorf("%w: unsupported network mode %q", errdefs.ErrInvalid, network)
	}
	mounts := instructions.GetMounts(c)
	createdBy := "RUN " + strings.Join(append(r.scope.runArgsPrefix(), args...), " ") + " # buildkit"
	keyParts := []string{"run", createdBy, network, r.st.img.Config.User, r.st.img.Config.WorkingDir}
	if script != nil {
		keyParts = append(keyParts, script.Data)
	}
	for _, m := range mounts {
		k, err := r.mountKey(m)
		if err != nil {
			return err
		}
		keyParts = append(keyParts, k)
	}
	spec := runSpec{args: args, env: r.scope.runEnv(r.bd.o.BuildArgs), user: r.st.img.Config.User,
		workdir: r.st.img.Config.WorkingDir, network: network, mounts: mounts, script: script,
		context: r.bd.o.Context, stageFor: r.fromState}
	v := r.fsVertex(runTitle(c))
	return r.fsStep(ctx, v, stepKey(r.st.key, keyParts...), createdBy, func(rootfs, bundle string) (keepEntry, error) {
		return r.bd.runContainer(ctx, spec, rootfs, bundle, v)
	})
}

// runTitle is the vertex name of a RUN: its source text, with a heredoc's
// first line summarised.
func runTitle(c *instructions.RunCommand) string {
	s := c.String()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// runArgs is the command line of a RUN, heredocs handled as BuildKit
// does: a lone heredoc with a shebang is written to a file and executed,
// a lone plain heredoc is the shell's script, anything else is handed to
// the shell whole.
func runArgs(c *instructions.RunCommand) ([]string, *instructions.ShellInlineFile, error) {
	args := c.CmdLine
	if len(c.Files) == 0 {
		return args, nil, nil
	}
	if len(args) != 1 || !c.PrependShell {
		return nil, nil, fmt.Errorf("%w: parsing produced an invalid run command: %v", errdefs.ErrInvalid, args)
	}
	if h, err := parser.ParseHeredoc(args[0]); err == nil && h != nil {
		f := c.Files[0]
		data := f.Data
		if f.Chomp {
			data = parser.ChompHeredocContent(data)
		}
		if strings.HasPrefix(data, "#!") {
			f.Data = data
			return []string{"/dev/pipes/" + f.Name}, &f, nil
		}
		return []string{data}, nil, nil
	}
	var b strings.Builder
	b.WriteString(args[0])
	for _, f := range c.Files {
		b.WriteString("\n" + f.Data + f.Name)
	}
	return []string{b.String()}, nil, nil
}

// mountKey is what a RUN --mount adds to the step's cache key: its
// options, and for a bind the content it exposes (context checksum or the
// source stage's key). Secrets and caches add only their options: their
// content never reaches the layer, as with BuildKit.
func (r *stageRun) mountKey(m *instructions.Mount) (string, error) {
	k := fmt.Sprintf("mount type=%s from=%s src=%s dst=%s ro=%v id=%s sharing=%s size=%d", m.Type, m.From, m.Source, m.Target, m.ReadOnly, m.CacheID, m.CacheSharing, m.SizeLimit)
	if m.Type != instructions.MountTypeBind {
		return k, nil
	}
	if m.From != "" {
		st, err := r.fromState(m.From)
		if err != nil {
			return "", err
		}
		return k + " " + st.key.String(), nil
	}
	src := m.Source
	if src == "" {
		src = "."
	}
	sum, err := fscopy.Checksum(r.bd.o.Context, fscopy.Options{Srcs: []string{src}, Dest: "/mnt/"})
	if err != nil {
		return "", err
	}
	return k + " " + sum.String(), nil
}

// fromState resolves a --from value: an earlier stage (name or index) or
// an image.
func (r *stageRun) fromState(from string) (*state, error) {
	ref, err := r.expand(from)
	if err != nil {
		return nil, err
	}
	if j, ok := r.bd.g.stageRef(ref, r.node.index); ok {
		if !r.node.deps[j] {
			// Named through a stage-scoped ARG the graph could not see.
			return nil, fmt.Errorf("%w: --from=%s: stage references must not depend on stage-level ARGs", errdefs.ErrInvalid, from)
		}
		return r.bd.stageState(j), nil
	}
	return r.bd.imageState(context.Background(), ref)
}
