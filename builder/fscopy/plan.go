package fscopy

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/patternmatcher"

	"github.com/onggi/onggi/errdefs"
)

// item is one matched source: a file, a directory (whose contents are
// copied), or a URL.
type item struct {
	src     string  // path relative to Source.Root, cleaned, slash-separated
	keep    string  // --parents: the path kept below Dest
	url     string  // ADD of a URL
	dir     bool    // a directory: its contents are copied
	entries []entry // a file: itself (rel ""); a directory: its tree
}

// entry is one path of an item's tree.
type entry struct {
	rel  string // relative to the item, slash-separated; "" is the item
	abs  string // host path to read
	fi   fs.FileInfo
	link string // symlink target
}

// planner resolves an instruction's sources once for Copy and Checksum.
type planner struct {
	src     Source
	o       Options
	exclude *patternmatcher.PatternMatcher
}

func (o Options) instruction() string {
	if o.Instruction != "" {
		return o.Instruction
	}
	if o.ExtractTar {
		return "ADD"
	}
	return "COPY"
}

// destIsDir reports whether Dest names a directory by its spelling.
func (o Options) destIsDir() bool {
	return strings.HasSuffix(o.Dest, "/") || strings.HasSuffix(o.Dest, "/.") || o.Dest == "."
}

// plan returns the items o copies, in Dockerfile order, wildcard matches
// sorted.
func plan(src Source, o Options) ([]item, error) {
	if len(o.Srcs) == 0 {
		return nil, errdefs.Errorf(errdefs.ErrInvalid, "%s requires at least two arguments", o.instruction())
	}
	if o.Link && chownByName(o.Chown) {
		return nil, errdefs.Errorf(errdefs.ErrInvalid,
			"--chown=%s: user and group names can't be resolved when used with --link, use numeric uid[:gid] instead", o.Chown)
	}
	p := &planner{src: src, o: o}
	if len(o.ExcludePatterns) > 0 {
		pm, err := patternmatcher.New(o.ExcludePatterns)
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalid, "invalid --exclude pattern: %w", err)
		}
		p.exclude = pm
	}
	var items []item
	for _, s := range o.Srcs {
		got, err := p.source(s)
		if err != nil {
			return nil, err
		}
		items = append(items, got...)
	}
	if len(items) > 1 && !o.destIsDir() {
		return nil, errdefs.Errorf(errdefs.ErrInvalid,
			"When using %s with more than one source file, the destination must be a directory and end with a /", o.instruction())
	}
	return items, nil
}

// chownByName reports whether a --chown value names a user or group
// (BuildKit refuses names with --link: the copy has no image to look them
// up in).
func chownByName(spec string) bool {
	if spec == "" {
		return false
	}
	u, g, _ := strings.Cut(spec, ":")
	for _, part := range []string{u, g} {
		if part == "" {
			continue
		}
		if _, err := strconv.Atoi(part); err != nil {
			return true
		}
	}
	return false
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// source expands one source argument.
func (p *planner) source(s string) ([]item, error) {
	if isURL(s) {
		if !p.o.ExtractTar {
			return nil, errdefs.Errorf(errdefs.ErrInvalid, "source can't be a URL for %s", p.o.instruction())
		}
		return []item{{url: s, src: s}}, nil
	}
	rel, pivot, err := p.clean(s)
	if err != nil {
		return nil, err
	}
	matches, err := p.glob(rel)
	if err != nil {
		return nil, err
	}
	var items []item
	for _, m := range matches {
		it, ok, err := p.item(m, pivot)
		if err != nil {
			return nil, err
		}
		if ok {
			items = append(items, it)
		}
	}
	if len(items) == 0 && !hasMeta(rel) {
		return nil, errdefs.Errorf(errdefs.ErrNotFound, "failed to compute cache key: %q: not found", "/"+rel)
	}
	// A wildcard matching nothing copies nothing, as BuildKit does: it
	// makes optional files possible (COPY package.json yarn.lock* ./).
	return items, nil
}

// clean makes s relative to Root. For the context a path leaving it is
// refused (docker's "forbidden path"); for a stage it is clamped. pivot is
// the number of leading components --parents drops ("a/./b/c" keeps b/c).
func (p *planner) clean(s string) (string, int, error) {
	pivot := 0
	if p.o.Parents {
		if i := strings.Index(s, "/./"); i >= 0 {
			pre := strings.Trim(path.Clean("/"+s[:i]), "/")
			if pre != "" {
				pivot = len(strings.Split(pre, "/"))
			}
		}
	}
	if p.src.Context && !strings.HasPrefix(s, "/") {
		c := path.Clean(s)
		if c == ".." || strings.HasPrefix(c, "../") {
			return "", 0, errdefs.Errorf(errdefs.ErrInvalid, "forbidden path outside the build context: %s ()", s)
		}
	}
	rel := strings.TrimPrefix(path.Clean("/"+s), "/")
	if rel == "" {
		rel = "."
	}
	return rel, pivot, nil
}

// ignored reports whether rel is invisible: .dockerignore or --exclude.
func (p *planner) ignored(rel string) bool {
	if rel == "." {
		return false
	}
	if p.src.Ignore != nil && p.src.Ignore(rel) {
		return true
	}
	if p.exclude != nil {
		if m, err := p.exclude.MatchesOrParentMatches(rel); err == nil && m {
			return true
		}
	}
	return false
}

func (p *planner) skipDir(rel string) bool {
	if rel == "." {
		return false
	}
	if p.src.SkipDir != nil && p.src.SkipDir(rel) {
		return true
	}
	if p.exclude != nil && !p.exclude.Exclusions() {
		if m, err := p.exclude.MatchesOrParentMatches(rel); err == nil && m {
			return true
		}
	}
	return false
}

// resolve returns the host path of rel inside Root, symlinks followed but
// never out of Root.
func (p *planner) resolve(rel string) (string, error) {
	full, err := securejoin.SecureJoin(p.src.Root, rel)
	if err != nil {
		return "", fmt.Errorf("resolving %q: %w", rel, err)
	}
	return full, nil
}

// glob expands wildcards component by component with filepath.Match.
func (p *planner) glob(rel string) ([]string, error) {
	if rel == "." || !hasMeta(rel) {
		return []string{rel}, nil
	}
	cur := []string{""}
	for _, comp := range strings.Split(rel, "/") {
		var next []string
		for _, dir := range cur {
			if comp == "**" {
				next = append(next, p.subdirs(dir)...)
				continue
			}
			if !hasMeta(comp) {
				next = append(next, path.Join(dir, comp))
				continue
			}
			names, err := p.list(dir)
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				ok, err := filepath.Match(comp, n)
				if err != nil {
					return nil, errdefs.Errorf(errdefs.ErrInvalid, "invalid pattern %q: %w", rel, err)
				}
				if ok {
					next = append(next, path.Join(dir, n))
				}
			}
		}
		cur = next
	}
	sort.Strings(cur)
	return dedupe(cur), nil
}

// subdirs returns dir and every directory below it ("**" matches zero
// or more directories), skipping excluded trees.
func (p *planner) subdirs(dir string) []string {
	out := []string{dir}
	names, _ := p.list(dir)
	for _, n := range names {
		rel := path.Join(dir, n)
		full, err := p.resolve(rel)
		if err != nil {
			continue
		}
		if fi, err := os.Lstat(full); err != nil || !fi.IsDir() || p.skipDir(rel) {
			continue
		}
		out = append(out, p.subdirs(rel)...)
	}
	return out
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// dedupe drops repeats from a sorted list ("**/**" can match twice).
func dedupe(in []string) []string {
	out := in[:0]
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// list returns the names in the directory rel ("" = Root); a missing or
// non-directory path lists nothing.
func (p *planner) list(rel string) ([]string, error) {
	full, err := p.resolve(rel)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(full)
	if err != nil {
		return nil, nil
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, nil
}

// item stats one matched path (following symlinks inside Root, as
// BuildKit does for a source's own path) and walks it if a directory.
// ok is false when the path is missing or invisible.
func (p *planner) item(rel string, pivot int) (item, bool, error) {
	full, err := p.resolve(rel)
	if err != nil {
		return item{}, false, err
	}
	fi, err := os.Stat(full)
	if err != nil {
		if os.IsNotExist(err) || isNotDir(err) {
			return item{}, false, nil
		}
		return item{}, false, fmt.Errorf("%s: %w", rel, err)
	}
	it := item{src: rel, dir: fi.IsDir()}
	if p.o.Parents {
		it.keep = keptPath(rel, pivot)
	}
	if !fi.IsDir() {
		if p.ignored(rel) {
			return item{}, false, nil
		}
		it.entries = []entry{{abs: full, fi: fi}}
		return it, true, nil
	}
	it.entries = append(it.entries, entry{abs: full, fi: fi})
	kids, err := p.walk(full, rel, "")
	if err != nil {
		return item{}, false, err
	}
	if len(kids) == 0 && p.ignored(rel) {
		return item{}, false, nil
	}
	it.entries = append(it.entries, kids...)
	return it, true, nil
}

func keptPath(rel string, pivot int) string {
	if rel == "." {
		return ""
	}
	comps := strings.Split(rel, "/")
	if pivot >= len(comps) {
		return ""
	}
	return strings.Join(comps[pivot:], "/")
}
