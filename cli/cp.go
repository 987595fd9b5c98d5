package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	units "github.com/docker/go-units"
	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/errdefs"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newCpCmd)

type cpOptions struct {
	archive, followLink, quiet bool
}

func newCpCmd(g *Globals) *cobra.Command {
	o := &cpOptions{}
	cmd := &cobra.Command{
		Use:   "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n  onggi cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
		Short: "Copy files/folders between a container and the local filesystem",
		Long: `Copy files/folders between a container and the local filesystem

Use '-' as the source to read a tar archive from stdin and extract it to a
directory destination in a container. Use '-' as the destination to stream a
tar archive of a container source to stdout.

Paths in a container are relative to its root directory. A SRC_PATH ending
in "/." copies the content of the directory rather than the directory
itself. A DEST_PATH that does not exist is created (its parent must exist);
a DEST_PATH that is an existing directory receives the source inside it.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runCp(cmd, g, o, args[0], args[1]) },
	}
	f := cmd.Flags()
	f.BoolVarP(&o.archive, "archive", "a", false, "Archive mode (copy all uid/gid information)")
	f.BoolVarP(&o.followLink, "follow-link", "L", false, "Always follow symbol link in SRC_PATH")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached")
	return cmd
}

// splitCpArg is docker's rule: "name:path" names a container path unless
// the argument is an absolute local path or an explicit relative one
// ("./a:b"), which may contain a colon.
func splitCpArg(arg string) (ctr, p string) {
	if filepath.IsAbs(arg) {
		return "", arg
	}
	c, p, ok := strings.Cut(arg, ":")
	if !ok || strings.HasPrefix(c, ".") {
		return "", arg
	}
	return c, p
}

func runCp(cmd *cobra.Command, g *Globals, o *cpOptions, src, dst string) error {
	srcCtr, srcPath := splitCpArg(src)
	dstCtr, dstPath := splitCpArg(dst)
	switch {
	case srcCtr != "" && dstCtr != "":
		return classedErrorf(errdefs.ErrInvalid, "copying between containers is not supported")
	case srcCtr == "" && dstCtr == "":
		return classedErrorf(errdefs.ErrInvalid, "must specify at least one container source")
	case srcPath == "" || dstPath == "":
		return classedErrorf(errdefs.ErrInvalid, "filesystem path must not be empty")
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	c := &cpRun{e: e, o: o, stdin: cmd.InOrStdin(), stdout: cmd.OutOrStdout()}
	if srcCtr != "" {
		err = c.fromContainer(cmd.Context(), srcCtr, containerPath(srcPath), dstPath)
	} else {
		err = c.toContainer(cmd.Context(), srcPath, dstCtr, containerPath(dstPath))
	}
	if err == nil && !o.quiet && dstPath != "-" && isTerminalWriter(cmd.ErrOrStderr()) {
		fmt.Fprintf(cmd.ErrOrStderr(), "Successfully copied %s to %s\n", units.HumanSize(float64(c.copied)), dst)
	}
	return err
}

// containerPath makes p absolute inside the container, keeping the trailing
// "/" or "/." that carries meaning for cp.
func containerPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "/" + p
	}
	return p
}

// contentOnly reports a source ending in "/." (copy what is inside).
func contentOnly(p string) bool {
	return p == "." || strings.HasSuffix(p, string(filepath.Separator)+".")
}

type cpRun struct {
	e      *engine.Engine
	o      *cpOptions
	stdin  io.Reader
	stdout io.Writer
	copied int64
}

func (c *cpRun) fromContainer(ctx context.Context, ctr, src, dst string) error {
	st, err := c.e.StatContainerPath(ctx, ctr, src)
	if err != nil {
		return err
	}
	if c.o.followLink && st.Mode&os.ModeSymlink != 0 && st.LinkTarget != "" {
		src = resolveLink(src, st.LinkTarget)
		if st, err = c.e.StatContainerPath(ctx, ctr, src); err != nil {
			return err
		}
	}
	if dst == "-" {
		_, err := c.e.CopyFromContainer(ctx, ctr, src, c.stdout)
		return err
	}
	isDir := st.Mode.IsDir()
	target, err := cpLocalTarget(dst, isDir, isDir && contentOnly(src), path.Base(src))
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := c.e.CopyFromContainer(ctx, ctr, src, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	x := &tarExtractor{target: target, srcIsDir: isDir, srcBase: path.Base(src), keepOwner: c.o.archive}
	n, xerr := x.extract(pr)
	pr.CloseWithError(errors.New("extraction stopped"))
	c.copied = n
	err = <-done
	if xerr != nil {
		// the engine's error is then only the closed pipe
		return xerr
	}
	return err
}

// cpLocalTarget is docker's destination table for a host DEST_PATH: the
// path the source itself becomes.
func cpLocalTarget(dst string, srcIsDir, content bool, srcBase string) (string, error) {
	trailing := strings.HasSuffix(dst, string(filepath.Separator))
	fi, err := os.Stat(dst)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if trailing && !srcIsDir {
			return "", classedErrorf(errdefs.ErrNotFound, "destination directory %q must exist", dst)
		}
		parent := filepath.Dir(filepath.Clean(dst))
		if pfi, err := os.Stat(parent); err != nil || !pfi.IsDir() {
			return "", classedErrorf(errdefs.ErrNotFound, "destination directory %q must exist", parent)
		}
		return filepath.Clean(dst), nil
	case err != nil:
		return "", err
	case fi.IsDir():
		if content {
			return filepath.Clean(dst), nil
		}
		return filepath.Join(dst, srcBase), nil
	case srcIsDir:
		return "", classedErrorf(errdefs.ErrInvalid, "cannot copy a directory to a file: %s", dst)
	case trailing:
		return "", classedErrorf(errdefs.ErrInvalid, "destination %q is not a directory", dst)
	}
	return dst, nil
}

func (c *cpRun) toContainer(ctx context.Context, src, ctr, dst string) error {
	if src == "-" {
		st, err := c.e.StatContainerPath(ctx, ctr, dst)
		if err != nil {
			return err
		}
		if !st.Mode.IsDir() {
			return classedErrorf(errdefs.ErrInvalid, "destination \"%s:%s\" must be a directory", ctr, dst)
		}
		return c.e.CopyToContainer(ctx, ctr, dst, c.stdin)
	}
	stat := os.Lstat
	if c.o.followLink {
		stat = os.Stat
	}
	fi, err := stat(src)
	if err != nil {
		return err
	}
	dir, name, err := c.containerTarget(ctx, ctr, dst, fi.IsDir(), fi.IsDir() && contentOnly(src), filepath.Base(src))
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	tw := &tarWriter{keepOwner: c.o.archive, followLink: c.o.followLink}
	done := make(chan error, 1)
	go func() {
		err := tw.write(pw, src, name)
		pw.CloseWithError(err)
		done <- err
	}()
	err = c.e.CopyToContainer(ctx, ctr, dir, pr)
	pr.CloseWithError(errors.New("copy stopped"))
	if werr := <-done; werr != nil && err != nil {
		// reading the source failed first; the engine saw a broken pipe
		return werr
	}
	c.copied = tw.copied
	return err
}

// containerTarget is the destination table inside the container: the
// directory to extract into and the name the source takes there.
func (c *cpRun) containerTarget(ctx context.Context, ctr, dst string, srcIsDir, content bool, srcBase string) (dir, name string, err error) {
	trailing := strings.HasSuffix(dst, "/")
	st, err := c.e.StatContainerPath(ctx, ctr, dst)
	if err == nil && st.Mode&os.ModeSymlink != 0 && st.LinkTarget != "" {
		dst = resolveLink(dst, st.LinkTarget)
		st, err = c.e.StatContainerPath(ctx, ctr, dst)
	}
	clean := path.Clean(dst)
	switch {
	case isNotFound(err):
		if trailing && !srcIsDir {
			return "", "", classedErrorf(errdefs.ErrNotFound, "destination directory %q must exist", dst)
		}
		return splitContainerTarget(clean)
	case err != nil:
		return "", "", err
	case st.Mode.IsDir():
		if content {
			return splitContainerTarget(clean)
		}
		return clean, srcBase, nil
	case srcIsDir:
		return "", "", classedErrorf(errdefs.ErrInvalid, "cannot copy a directory to a file: %s", dst)
	case trailing:
		return "", "", classedErrorf(errdefs.ErrInvalid, "destination %q is not a directory", dst)
	}
	return splitContainerTarget(clean)
}

func splitContainerTarget(p string) (dir, name string, err error) {
	if p == "/" {
		return "/", ".", nil
	}
	return path.Dir(p), path.Base(p), nil
}

// resolveLink is the container path a symlink at p points to.
func resolveLink(p, target string) string {
	if path.IsAbs(target) {
		return target
	}
	return path.Join(path.Dir(path.Clean(p)), target)
}

// classedError prints as docker's plain message while errors.Is still
// finds its class (the exit status and API status come from the class).
type classedError struct {
	msg   string
	class error
}

func (e *classedError) Error() string { return e.msg }
func (e *classedError) Unwrap() error { return e.class }

// classedErrorf builds a classedError.
func classedErrorf(class error, format string, args ...any) error {
	return &classedError{msg: fmt.Sprintf(format, args...), class: class}
}
