package image

import (
	"context"
	"fmt"

	"github.com/onggi/onggi/image/reference"
	digest "github.com/opencontainers/go-digest"
)

// Tag points the name newName (normalised, default tag latest) at the
// image ref resolves to, moving it from any other image.
func (s *Store) Tag(ctx context.Context, ref, newName string) error {
	r, err := reference.Parse(newName)
	if err != nil {
		return err
	}
	if r.Digest() != "" {
		return fmt.Errorf("tag %q: %w: refusing to create a tag with a digest reference", newName, ErrInvalid)
	}
	return s.update(ctx, func(d *db) error {
		id, err := d.resolve(ref)
		if err != nil {
			return err
		}
		d.Names[r.String()] = id
		return nil
	})
}

// RemoveOptions are rmi's flags.
type RemoveOptions struct {
	Force   bool // remove an image with several names or used by a container
	NoPrune bool // keep layers and blobs no longer referenced
}

// DeleteResponse is one line of rmi's output: either Untagged (a familiar
// reference) or Deleted (an image ID or layer chain ID).
type DeleteResponse struct {
	Untagged string        `json:"Untagged,omitempty"`
	Deleted  digest.Digest `json:"Deleted,omitempty"`
}

// Remove is docker rmi: a name is untagged, and the image deleted when no
// name is left; an ID deletes the image with all its names (several names
// need Force). An image a container uses (WithInUse) is ErrInUse unless
// Force, and even then it is only untagged, not deleted.
func (s *Store) Remove(ctx context.Context, ref string, opts RemoveOptions) ([]DeleteResponse, error) {
	var out []DeleteResponse
	var deleted digest.Digest
	err := s.update(ctx, func(d *db) error {
		out, deleted = nil, ""
		id, err := d.resolve(ref)
		if err != nil {
			return err
		}
		untag, del, err := s.plan(d, id, ref, opts)
		if err != nil {
			return err
		}
		for _, n := range untag {
			delete(d.Names, n)
			out = append(out, DeleteResponse{Untagged: reference.Familiar(n)})
		}
		if del {
			delete(d.Images, id)
			out = append(out, DeleteResponse{Deleted: id})
			deleted = id
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if deleted != "" && !opts.NoPrune {
		out = append(out, s.collectQuietly(ctx)...)
	}
	return out, nil
}

// plan decides what rmi ref does to image id, following docker's rules.
func (s *Store) plan(d *db, id digest.Digest, ref string, opts RemoveOptions) (untag []string, del bool, err error) {
	names := d.namesOf(id)
	byName := isName(d, ref, id)
	inUse := s.inUse(id)
	switch {
	case byName:
		r, _ := reference.Parse(ref)
		n := r.String()
		var rest []string
		for _, x := range names {
			if x != n {
				rest = append(rest, x)
			}
		}
		if len(rest) > 0 || (inUse && opts.Force) {
			return []string{n}, false, nil
		}
		if inUse {
			return nil, false, fmt.Errorf("unable to remove repository reference %q (must force) - a container is using its referenced image %s: %w", ref, short(id), ErrInUse)
		}
		return names, true, nil
	case inUse && !opts.Force:
		return nil, false, fmt.Errorf("unable to delete %s (cannot be forced) - image is being used by a container: %w", short(id), ErrInUse)
	case inUse:
		return names, false, nil
	case len(names) > 1 && !opts.Force && distinctRepos(names) > 1:
		return nil, false, fmt.Errorf("unable to delete %s (must be forced) - image is referenced in multiple repositories: %w", short(id), ErrInUse)
	}
	return names, true, nil
}

// isName reports whether ref named image id by one of its stored names
// (a digest reference resolved through the manifest counts as an ID).
func isName(d *db, ref string, id digest.Digest) bool {
	if reference.IsID(ref) {
		return false
	}
	r, err := reference.Parse(ref)
	if err != nil {
		return false
	}
	got, ok := d.Names[r.String()]
	return ok && got == id
}

func distinctRepos(names []string) int {
	seen := map[string]bool{}
	for _, n := range names {
		if r, err := reference.ParseName(n); err == nil {
			seen[r.Name()] = true
		}
	}
	return len(seen)
}

func short(id digest.Digest) string {
	e := id.Encoded()
	if len(e) > 12 {
		e = e[:12]
	}
	return e
}

// ShortID is docker's 12-hex display form of an image ID.
func ShortID(id digest.Digest) string { return short(id) }
