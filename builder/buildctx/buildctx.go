package buildctx

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/onggi/onggi/builder/fscopy"
	"github.com/onggi/onggi/errdefs"
)

// DefaultDockerfile is the Dockerfile name used when -f is not given;
// "dockerfile" (lower case) is accepted when it is missing, as docker does.
const DefaultDockerfile = "Dockerfile"

// IgnoreFile is the name of the ignore file at the context root.
const IgnoreFile = ".dockerignore"

// Context is a build context on disk. Its methods are safe for concurrent
// use (stages copy from it in parallel).
type Context struct {
	dir     string // absolute, symlinks resolved
	scratch bool   // dir was created by FromTar: Close removes it

	digests *fscopy.DigestCache // nil: no memo

	mu       sync.Mutex // patternmatcher is not safe for concurrent use
	patterns []string
	pm       *patternmatcher.PatternMatcher
}

// Option configures FromDir.
type Option func(*Context)

// WithDigestCache memoizes the context's file digests in file across
// builds (fscopy.DigestCache), so an unchanged rebuild does not read every
// file again; Close saves it. The builder keeps file under its root.
func WithDigestCache(file string) Option {
	return func(c *Context) { c.digests = fscopy.OpenDigestCache(file) }
}

// FromDir opens the directory dir as a build context and reads its
// .dockerignore. The directory is not copied: COPY reads it in place.
func FromDir(dir string, opts ...Option) (*Context, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("build context %q: %w", dir, err)
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, errdefs.Errorf(errdefs.ErrNotFound, "unable to prepare context: path %q not found", dir)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("build context %q: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, errdefs.Errorf(errdefs.ErrInvalid, "unable to prepare context: context must be a directory: %s", abs)
	}
	c := &Context{dir: abs}
	for _, o := range opts {
		o(c)
	}
	if err := c.loadIgnore(IgnoreFile); err != nil {
		return nil, err
	}
	return c, nil
}

// Dir returns the context's directory (absolute, symlinks resolved).
func (c *Context) Dir() string { return c.dir }

// Patterns returns the active .dockerignore patterns (for cache keys and
// diagnostics).
func (c *Context) Patterns() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.patterns...)
}

// Close releases the context: the digest cache is saved, a context
// unpacked from a tar is removed.
func (c *Context) Close() error {
	err := c.digests.Save()
	if c.scratch {
		if rerr := os.RemoveAll(c.dir); err == nil {
			err = rerr
		}
	}
	return err
}

// loadIgnore reads an ignore file (relative to the context, resolved
// inside it, or absolute); a missing file means no patterns.
func (c *Context) loadIgnore(path string) error {
	if !filepath.IsAbs(path) {
		full, err := securejoin.SecureJoin(c.dir, path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		path = full
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c.setPatterns(nil)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Base(path), err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Base(path), err)
	}
	return c.setPatterns(patterns)
}

func (c *Context) setPatterns(patterns []string) error {
	var pm *patternmatcher.PatternMatcher
	if len(patterns) > 0 {
		var err error
		if pm, err = patternmatcher.New(patterns); err != nil {
			return errdefs.Errorf(errdefs.ErrInvalid, "invalid .dockerignore pattern: %w", err)
		}
	}
	c.mu.Lock()
	c.patterns, c.pm = patterns, pm
	c.mu.Unlock()
	return nil
}

// Ignored reports whether rel (slash-separated, relative to the context
// root) is excluded by .dockerignore: a path is excluded when it or one of
// its parent directories matches, unless a later `!` pattern re-includes
// it — docker's rule.
func (c *Context) Ignored(rel string) bool {
	rel = cleanRel(rel)
	if rel == "." {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pm == nil {
		return false
	}
	m, err := c.pm.MatchesOrParentMatches(rel)
	return err == nil && m
}

// SkipDir reports whether the directory rel and everything below it is
// excluded: it is ignored and no `!` exception could re-include a path
// inside it. Walkers use it to avoid descending into node_modules & co.
func (c *Context) SkipDir(rel string) bool {
	if !c.Ignored(rel) {
		return false
	}
	rel = cleanRel(rel)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pm.Patterns() {
		if !p.Exclusion() {
			continue
		}
		if exceptionMayMatchInside(p.String(), rel) {
			return false
		}
	}
	return true
}

// exceptionMayMatchInside is conservative: an exception pattern could
// match a path below dir unless its leading literal components diverge
// from dir's.
func exceptionMayMatchInside(pattern, dir string) bool {
	pc := strings.Split(pattern, "/")
	dc := strings.Split(dir, "/")
	for i := 0; i < len(pc) && i < len(dc); i++ {
		if strings.ContainsAny(pc[i], `*?[\`) {
			return true
		}
		if pc[i] != dc[i] {
			return false
		}
	}
	return true
}

// CopySource is the fscopy.Source for COPY/ADD from this context: rooted
// at Dir, with .dockerignore'd paths invisible.
func (c *Context) CopySource() fscopy.Source {
	return fscopy.Source{Root: c.dir, Ignore: c.Ignored, SkipDir: c.SkipDir, Context: true, Digests: c.digests}
}

// Dockerfile reads the Dockerfile. path "" means "Dockerfile" (falling
// back to "dockerfile") at the context root. A relative path is resolved
// inside the context, never escaping it through ".." or symlinks (docker's
// rule for tar contexts; for a directory context docker's CLI makes -f
// absolute against its working directory first, which callers do too). An
// absolute path is read as is, inside or outside the context. The name
// returned is the file's base name, for error messages ("Dockerfile:3").
//
// A Dockerfile-specific ignore file "<Dockerfile>.dockerignore" beside the
// Dockerfile replaces the context's .dockerignore, as BuildKit does.
// `-f -` (the Dockerfile on stdin) is the caller's business.
func (c *Context) Dockerfile(path string) ([]byte, string, error) {
	var candidates []string
	switch {
	case path == "":
		candidates = []string{DefaultDockerfile, strings.ToLower(DefaultDockerfile)}
	case filepath.IsAbs(path):
		return c.readDockerfile(path, path)
	default:
		candidates = []string{path}
	}
	for _, rel := range candidates {
		full, err := securejoin.SecureJoin(c.dir, rel)
		if err != nil {
			return nil, "", fmt.Errorf("resolving Dockerfile %q: %w", rel, err)
		}
		if _, err := os.Stat(full); err == nil {
			return c.readDockerfile(full, rel)
		}
	}
	return nil, "", errdefs.Errorf(errdefs.ErrNotFound,
		"failed to read dockerfile: open %s: no such file or directory", candidates[0])
}

func (c *Context) readDockerfile(full, shown string) ([]byte, string, error) {
	if fi, err := os.Stat(full); err == nil && fi.IsDir() {
		return nil, "", errdefs.Errorf(errdefs.ErrInvalid, "failed to read dockerfile: %s is a directory", shown)
	}
	b, err := os.ReadFile(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", errdefs.Errorf(errdefs.ErrNotFound,
			"failed to read dockerfile: open %s: no such file or directory", shown)
	}
	if err != nil {
		return nil, "", fmt.Errorf("failed to read dockerfile: %w", err)
	}
	specific := full + IgnoreFile
	if _, err := os.Stat(specific); err == nil {
		if err := c.loadIgnore(specific); err != nil {
			return nil, "", err
		}
	}
	return b, filepath.Base(full), nil
}

// cleanRel normalises a context-relative path to patternmatcher's form.
func cleanRel(rel string) string {
	rel = strings.TrimPrefix(filepath.ToSlash(filepath.Clean("/"+rel)), "/")
	if rel == "" {
		return "."
	}
	return rel
}

var _ io.Closer = (*Context)(nil)
