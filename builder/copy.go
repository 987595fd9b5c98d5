package builder

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/onggi/onggi/builder/fscopy"
	"github.com/onggi/onggi/errdefs"
)

// copyStep is a COPY or ADD after expansion.
type copyStep struct {
	name     string // "COPY" or "ADD"
	from     string
	sd       instructions.SourcesAndDest
	opts     fscopy.Options
	title    string
	parents  bool
	chown    string
	chmod    string
	checksum string // ADD --checksum
}

func (r *stageRun) dispatchCopy(ctx context.Context, c *instructions.CopyCommand) error {
	return r.copy(ctx, copyStep{name: "COPY", from: c.From, sd: c.SourcesAndDest, title: c.String(),
		parents: c.Parents, chown: c.Chown, chmod: c.Chmod,
		opts: fscopy.Options{Chown: c.Chown, Chmod: c.Chmod, Parents: c.Parents, Link: c.Link,
			ExcludePatterns: c.ExcludePatterns, Instruction: "COPY"}})
}

func (r *stageRun) dispatchAdd(ctx context.Context, c *instructions.AddCommand) error {
	if c.KeepGitDir != nil || c.Checksum != "" {
		return fmt.Errorf("%w: ADD --keep-git-dir and --checksum are not supported", errdefs.ErrInvalid)
	}
	extract := c.Unpack == nil || *c.Unpack
	return r.copy(ctx, copyStep{name: "ADD", sd: c.SourcesAndDest, title: c.String(),
		chown: c.Chown, chmod: c.Chmod,
		opts: fscopy.Options{Chown: c.Chown, Chmod: c.Chmod, Link: c.Link, ExtractTar: extract,
			ExcludePatterns: c.ExcludePatterns, Instruction: "ADD"}})
}

// copy runs a COPY/ADD: the key covers the instruction and the content
// checksum of what it copies (context files), or the source stage's key.
func (r *stageRun) copy(ctx context.Context, cs copyStep) (retErr error) {
	cs.opts.Srcs = cs.sd.SourcePaths
	cs.opts.Dest = destPath(r.st.img.Config.WorkingDir, cs.sd.DestPath)
	src := r.bd.o.Context
	var srcKey string
	if len(cs.sd.SourceContents) > 0 {
		dir, srcs, err := heredocSources(r.bd.b.runroot, r.bd.id, cs.sd.SourceContents)
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		src = fscopy.Source{Root: dir, Context: true}
		cs.opts.Srcs = append(cs.opts.Srcs, srcs...)
	}
	var from *state
	if cs.from != "" {
		st, err := r.fromState(cs.from)
		if err != nil {
			return err
		}
		from, srcKey = st, "from "+st.key.String()
	} else {
		if src.Root == "" {
			return fmt.Errorf("%w: %s needs a build context", errdefs.ErrInvalid, cs.name)
		}
		sum, err := fscopy.Checksum(src, cs.opts)
		if err != nil {
			return err
		}
		srcKey = sum.String()
	}
	createdBy := copyHistory(cs) + " # buildkit"
	key := stepKey(r.st.key, "copy", createdBy, cs.opts.Dest, srcKey, strings.Join(cs.opts.ExcludePatterns, "\x00"))
	v := r.fsVertex(cs.title)
	return r.fsStep(ctx, v, key, createdBy, func(rootfs, bundle string) (keepEntry, error) {
		if from != nil {
			dir := filepath.Join(bundle, "from")
			undo, err := r.bd.view(ctx, from, dir)
			if err != nil {
				return nil, err
			}
			defer undo()
			src = fscopy.Source{Root: dir}
		}
		return nil, fscopy.Copy(rootfs, src, cs.opts)
	})
}

// copyHistory is BuildKit's history text of a COPY/ADD (without --from,
// as BuildKit writes it).
func copyHistory(cs copyStep) string {
	var b strings.Builder
	b.WriteString(cs.name)
	if cs.parents {
		b.WriteString(" --parents")
	}
	if cs.chown != "" {
		b.WriteString(" --chown=" + cs.chown)
	}
	if cs.chmod != "" {
		b.WriteString(" --chmod=" + cs.chmod)
	}
	for _, s := range cs.sd.SourcePaths {
		b.WriteString(" " + s)
	}
	for _, s := range cs.sd.SourceContents {
		b.WriteString(" <<" + s.Path)
	}
	b.WriteString(" " + cs.sd.DestPath)
	return b.String()
}

// destPath resolves a COPY destination against WORKDIR, keeping a
// trailing "/" (it makes the destination a directory).
func destPath(workdir, dest string) string {
	dir := strings.HasSuffix(dest, "/") || strings.HasSuffix(dest, "/.") || dest == "." || dest == ""
	p := workdirPath(workdir, dest)
	if dir && p != "/" {
		p += "/"
	}
	return p
}

// heredocSources writes COPY's heredoc bodies into a temp directory, to
// be copied like context files.
func heredocSources(runroot, buildID string, contents []instructions.SourceContent) (string, []string, error) {
	if err := os.MkdirAll(runroot, 0o700); err != nil {
		return "", nil, err
	}
	// Named after the build, so a crashed build's sweep removes it.
	dir, err := os.MkdirTemp(runroot, buildID+"-heredoc-")
	if err != nil {
		return "", nil, err
	}
	var srcs []string
	for _, c := range contents {
		name := path.Base(c.Path)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(c.Data), 0o644); err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		srcs = append(srcs, name)
	}
	return dir, srcs, nil
}

// dispatchWorkdir sets the working directory and creates it (owned by the
// current USER, as BuildKit does); "/" needs no layer.
func (r *stageRun) dispatchWorkdir(ctx context.Context, c *instructions.WorkdirCommand) error {
	wd := workdirPath(r.st.img.Config.WorkingDir, c.Path)
	text := "WORKDIR " + wd
	setWD := func(s *state) { s.img.Config.WorkingDir = wd }
	if wd == "/" {
		return r.metaStep(text, true, func(img *dockerspecImage) error { img.Config.WorkingDir = wd; return nil })
	}
	user := r.st.img.Config.User
	v := r.fsVertex(c.String())
	key := stepKey(r.st.key, "workdir", wd, user)
	return r.fsStepConfig(ctx, v, key, text, setWD, func(rootfs, _ string) (keepEntry, error) {
		return nil, makeWorkdir(rootfs, wd, user)
	})
}
