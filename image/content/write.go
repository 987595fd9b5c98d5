package content

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/image/errdefs"
	"github.com/onggi/onggi/image/internal/diskfile"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Write stores the blob read from r, which must match desc.Digest and, when
// desc.Size >= 0, desc.Size; a mismatch is errdefs.ErrInvalid and stores
// nothing. Writing a blob that already exists succeeds without reading r.
func (s *Store) Write(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	if err := validate(desc.Digest); err != nil {
		return err
	}
	if s.Has(desc.Digest) {
		return nil
	}
	_, _, err := s.ingest(ctx, r, desc.Digest, desc.Size)
	return err
}

// WriteBytes stores b and returns its descriptor with mediaType.
func (s *Store) WriteBytes(ctx context.Context, mediaType string, b []byte) (ocispec.Descriptor, error) {
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
	if err := s.Write(ctx, desc, bytes.NewReader(b)); err != nil {
		return ocispec.Descriptor{}, err
	}
	return desc, nil
}

// Ingest stores a stream of unknown digest (an imported tarball, a layer
// being compressed) and returns its descriptor with mediaType.
func (s *Store) Ingest(ctx context.Context, mediaType string, r io.Reader) (ocispec.Descriptor, error) {
	d, size, err := s.ingest(ctx, r, "", -1)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: size}, nil
}

// ingest copies r into a temp file, checks it against want/wantSize when
// given, and renames it to its blob path.
func (s *Store) ingest(ctx context.Context, r io.Reader, want digest.Digest, wantSize int64) (_ digest.Digest, _ int64, retErr error) {
	lease, err := s.Lease(ctx)
	if err != nil {
		return "", 0, err
	}
	defer lease.Unlock()
	tmp, err := os.CreateTemp(filepath.Join(s.root, "ingest"), "blob-*")
	if err != nil {
		return "", 0, fmt.Errorf("creating ingest file: %w", err)
	}
	defer func() {
		tmp.Close()
		if retErr != nil {
			os.Remove(tmp.Name())
		}
	}()
	h := digest.SHA256.Digester()
	n, err := copyCtx(ctx, io.MultiWriter(tmp, h.Hash()), r, wantSize)
	if err != nil {
		return "", 0, fmt.Errorf("writing blob %s: %w", nameOf(want), err)
	}
	got := h.Digest()
	if err := check(want, wantSize, got, n); err != nil {
		return "", 0, err
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("syncing blob %s: %w", got, err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("writing blob %s: %w", got, err)
	}
	if err := s.commit(tmp.Name(), got); err != nil {
		return "", 0, err
	}
	return got, n, nil
}

func (s *Store) commit(tmp string, d digest.Digest) error {
	p, _ := s.Path(d)
	if err := os.Chmod(tmp, 0o444); err != nil {
		return fmt.Errorf("committing blob %s: %w", d, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("committing blob %s: %w", d, err)
	}
	return diskfile.SyncDir(filepath.Dir(p))
}

func check(want digest.Digest, wantSize int64, got digest.Digest, n int64) error {
	if wantSize >= 0 && n != wantSize {
		return fmt.Errorf("blob %s: %w: size %d, expected %d", nameOf(want), errdefs.ErrInvalid, n, wantSize)
	}
	if want != "" && got != want {
		return fmt.Errorf("blob %s: %w: content has digest %s", want, errdefs.ErrInvalid, got)
	}
	return nil
}

func nameOf(d digest.Digest) string {
	if d == "" {
		return "(unknown digest)"
	}
	return d.String()
}

// copyCtx copies src to dst, stopping early when ctx is done or when more
// than limit bytes arrive (limit < 0: no limit), so a lying stream can't
// fill the disk past the size it announced.
func copyCtx(ctx context.Context, dst io.Writer, src io.Reader, limit int64) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := src.Read(buf)
		if m > 0 {
			if _, err := dst.Write(buf[:m]); err != nil {
				return n, err
			}
			n += int64(m)
			if limit >= 0 && n > limit {
				return n, fmt.Errorf("%w: more than the expected %d bytes", errdefs.ErrInvalid, limit)
			}
		}
		if errors.Is(rerr, io.EOF) {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}
