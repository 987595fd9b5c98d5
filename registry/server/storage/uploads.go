package storage

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// Upload describes an upload session.
type Upload struct {
	ID      string    `json:"id"`
	Repo    string    `json:"repo"`
	Started time.Time `json:"started"`
	Size    int64     `json:"-"` // bytes received so far
}

// Compiled on first use, off the start path of every other onggi process.
var uploadIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{32}$`) })

// StartUpload opens a new upload session for repo.
func (s *Store) StartUpload(repo string) (Upload, error) {
	if err := ValidateName(repo); err != nil {
		return Upload{}, err
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Upload{}, fmt.Errorf("upload id: %w", err)
	}
	u := Upload{ID: hex.EncodeToString(b[:]), Repo: repo, Started: time.Now().UTC()}
	dir := s.uploadDir(u.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Upload{}, fmt.Errorf("starting upload to %s: %w", repo, err)
	}
	meta, _ := json.Marshal(u)
	if err := writeFileAtomic(filepath.Join(dir, "meta.json"), meta); err != nil {
		_ = os.RemoveAll(dir)
		return Upload{}, fmt.Errorf("starting upload to %s: %w", repo, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data"), nil, 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return Upload{}, fmt.Errorf("starting upload to %s: %w", repo, err)
	}
	return u, nil
}

// StatUpload returns the state of upload id, which must belong to repo.
func (s *Store) StatUpload(repo, id string) (Upload, error) {
	if !uploadIDRE().MatchString(id) {
		return Upload{}, fmt.Errorf("upload %q: %w", id, ErrUploadUnknown)
	}
	defer s.lock(id)()
	return s.statUpload(repo, id)
}

func (s *Store) statUpload(repo, id string) (Upload, error) {
	dir := s.uploadDir(id)
	raw, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return Upload{}, fmt.Errorf("upload %s: %w", id, ErrUploadUnknown)
	}
	var u Upload
	if err := json.Unmarshal(raw, &u); err != nil || u.Repo != repo {
		return Upload{}, fmt.Errorf("upload %s in %s: %w", id, repo, ErrUploadUnknown)
	}
	fi, err := os.Stat(filepath.Join(dir, "data"))
	if err != nil {
		return Upload{}, fmt.Errorf("upload %s: %w", id, ErrUploadUnknown)
	}
	u.Size = fi.Size()
	return u, nil
}

// WriteUpload appends r to upload id. start, when not negative, is the offset
// the client believes it continues from (Content-Range); length, when not
// negative, is how many bytes r must yield. If the write fails part-way, the
// upload is rolled back to its previous size so that a client can resume
// from the offset StatUpload reports.
func (s *Store) WriteUpload(repo, id string, start, length int64, r io.Reader) (Upload, error) {
	if !uploadIDRE().MatchString(id) {
		return Upload{}, fmt.Errorf("upload %q: %w", id, ErrUploadUnknown)
	}
	defer s.lock(id)()
	u, err := s.statUpload(repo, id)
	if err != nil {
		return u, err
	}
	if start >= 0 && start != u.Size {
		return u, fmt.Errorf("upload %s at %d, chunk starts at %d: %w", id, u.Size, start, ErrRangeInvalid)
	}
	n, err := s.appendData(id, u.Size, length, r)
	if err != nil {
		return u, err
	}
	u.Size += n
	return u, nil
}

func (s *Store) appendData(id string, size, length int64, r io.Reader) (n int64, retErr error) {
	dir := s.uploadDir(id)
	f, err := os.OpenFile(filepath.Join(dir, "data"), os.O_WRONLY, 0)
	if err != nil {
		return 0, fmt.Errorf("upload %s: %w", id, err)
	}
	defer func() {
		if retErr != nil {
			_ = f.Truncate(size)
		}
		if err := f.Close(); err != nil && retErr == nil {
			retErr = fmt.Errorf("upload %s: %w", id, err)
		}
	}()
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		return 0, fmt.Errorf("upload %s: %w", id, err)
	}
	h := s.loadHashState(id, size)
	var w io.Writer = f
	if h != nil {
		w = io.MultiWriter(f, h)
	}
	src := r
	if length >= 0 {
		src = io.LimitReader(r, length)
	}
	n, err = io.CopyBuffer(w, src, make([]byte, 1<<20))
	if err != nil {
		return 0, fmt.Errorf("upload %s: receiving data: %w", id, err)
	}
	if length >= 0 && n != length {
		return 0, fmt.Errorf("upload %s: got %d of %d bytes: %w", id, n, length, ErrSizeInvalid)
	}
	if h != nil {
		s.saveHashState(id, size+n, h)
	}
	return n, nil
}

// The running sha256 of an upload is saved beside it, so that committing a
// streamed upload needs no second pass over the data. If the state is lost
// or does not match the data's size, commit rehashes the file instead.
func (s *Store) loadHashState(id string, size int64) hash.Hash {
	h := sha256.New()
	if size == 0 {
		return h
	}
	raw, err := os.ReadFile(filepath.Join(s.uploadDir(id), "hashstate"))
	if err != nil || len(raw) < 8 || int64(binary.BigEndian.Uint64(raw)) != size {
		return nil
	}
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(raw[8:]); err != nil {
		return nil
	}
	return h
}

func (s *Store) saveHashState(id string, size int64, h hash.Hash) {
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return
	}
	raw := binary.BigEndian.AppendUint64(nil, uint64(size))
	_ = writeFileAtomic(filepath.Join(s.uploadDir(id), "hashstate"), append(raw, state...))
}

// CommitUpload verifies that upload id's data has digest d and makes it
// visible as blob d of repo. On a digest mismatch the upload is discarded.
func (s *Store) CommitUpload(repo, id string, d digest.Digest) error {
	if !uploadIDRE().MatchString(id) {
		return fmt.Errorf("upload %q: %w", id, ErrUploadUnknown)
	}
	defer s.lock(id)()
	u, err := s.statUpload(repo, id)
	if err != nil {
		return err
	}
	dir := s.uploadDir(id)
	data := filepath.Join(dir, "data")
	got, err := s.uploadDigest(id, u.Size, d.Algorithm())
	if err != nil {
		return err
	}
	if got != d {
		s.removeUpload(id)
		return fmt.Errorf("upload %s: content has digest %s, not %s: %w", id, got, d, ErrDigestInvalid)
	}
	if err := syncFile(data); err != nil {
		return fmt.Errorf("upload %s: %w", id, err)
	}
	if err := s.placeBlob(data, d); err != nil {
		return err
	}
	s.removeUpload(id)
	return s.linkBlob(repo, d)
}

func (s *Store) uploadDigest(id string, size int64, alg digest.Algorithm) (digest.Digest, error) {
	if alg == digest.SHA256 {
		if h := s.loadHashState(id, size); h != nil {
			return digest.NewDigest(alg, h), nil
		}
	}
	f, err := os.Open(filepath.Join(s.uploadDir(id), "data"))
	if err != nil {
		return "", fmt.Errorf("upload %s: %w", id, err)
	}
	defer f.Close()
	dg, err := alg.FromReader(f)
	if err != nil {
		return "", fmt.Errorf("upload %s: hashing: %w", id, err)
	}
	return dg, nil
}

// placeBlob renames verified content into blobs/. If the blob is already
// there (a concurrent upload of the same content won), the rename replaces
// it with identical bytes; where the OS refuses (an open file on Windows)
// the existing copy is kept and refreshed.
func (s *Store) placeBlob(src string, d digest.Digest) error {
	dst := s.blobPath(d)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("storing blob %s: %w", d, err)
	}
	if err := os.Rename(src, dst); err != nil {
		if touch(dst) == nil {
			return nil
		}
		return fmt.Errorf("storing blob %s: %w", d, err)
	}
	syncDir(filepath.Dir(dst))
	return nil
}

// CancelUpload discards upload id.
func (s *Store) CancelUpload(repo, id string) error {
	if !uploadIDRE().MatchString(id) {
		return fmt.Errorf("upload %q: %w", id, ErrUploadUnknown)
	}
	defer s.lock(id)()
	if _, err := s.statUpload(repo, id); err != nil {
		return err
	}
	s.removeUpload(id)
	return nil
}

func (s *Store) removeUpload(id string) {
	_ = os.RemoveAll(s.uploadDir(id))
	s.forget(id)
}

// PutBlob stores r as blob d of repo in one step (monolithic upload).
func (s *Store) PutBlob(repo string, d digest.Digest, length int64, r io.Reader) error {
	u, err := s.StartUpload(repo)
	if err != nil {
		return err
	}
	if _, err := s.WriteUpload(repo, u.ID, 0, length, r); err != nil {
		_ = s.CancelUpload(repo, u.ID)
		return err
	}
	return s.CommitUpload(repo, u.ID, d)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
