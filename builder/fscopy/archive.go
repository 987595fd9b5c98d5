package fscopy

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/onggi/onggi/errdefs"
)

// Compression names, as Decompress reports them.
const (
	Uncompressed = "uncompressed"
	Gzip         = "gzip"
	Bzip2        = "bzip2"
	Xz           = "xz"
	Zstd         = "zstd"
)

var magics = []struct {
	name  string
	magic []byte
}{
	{Gzip, []byte{0x1f, 0x8b, 0x08}},
	{Bzip2, []byte{'B', 'Z', 'h'}},
	{Xz, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd}},
}

// Decompress returns the decompressed stream of r and the compression it
// detected from the first bytes (the set docker's ADD and build contexts
// accept). xz is decoded by the xz program, as docker does; its absence is
// an error naming it.
func Decompress(r io.Reader) (io.ReadCloser, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(6)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, "", fmt.Errorf("reading header: %w", err)
	}
	kind := Uncompressed
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			kind = m.name
		}
	}
	switch kind {
	case Gzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, kind, errdefs.Errorf(errdefs.ErrInvalid, "gzip: %w", err)
		}
		return zr, kind, nil
	case Bzip2:
		return io.NopCloser(bzip2.NewReader(br)), kind, nil
	case Zstd:
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, kind, errdefs.Errorf(errdefs.ErrInvalid, "zstd: %w", err)
		}
		return zr.IOReadCloser(), kind, nil
	case Xz:
		rc, err := xzReader(br)
		return rc, kind, err
	}
	return io.NopCloser(br), kind, nil
}

// xzReader pipes r through `xz -d -c -q`.
func xzReader(r io.Reader) (io.ReadCloser, error) {
	cmd := exec.Command("xz", "-d", "-c", "-q")
	cmd.Stdin = r
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("xz: %w", err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, errdefs.Errorf(errdefs.ErrUnavailable, "decompressing xz: %w", err)
	}
	return &cmdReader{ReadCloser: out, cmd: cmd, stderr: &stderr}, nil
}

type cmdReader struct {
	io.ReadCloser
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   bool
}

func (c *cmdReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if err == io.EOF && !c.done {
		c.done = true
		if werr := c.cmd.Wait(); werr != nil {
			return n, errdefs.Errorf(errdefs.ErrInvalid, "xz: %v: %s", werr, bytes.TrimSpace(c.stderr.Bytes()))
		}
	}
	return n, err
}

func (c *cmdReader) Close() error {
	c.ReadCloser.Close()
	if !c.done {
		c.done = true
		c.cmd.Process.Kill()
		c.cmd.Wait()
	}
	return nil
}

// isArchive reports whether the file at full is a tar archive, plain or
// compressed: docker's test for ADD's auto-extraction (a compressed file
// that is not a tar is copied as it is).
func isArchive(full string) bool {
	f, err := os.Open(full)
	if err != nil {
		return false
	}
	defer f.Close()
	rc, _, err := Decompress(f)
	if err != nil {
		return false
	}
	defer rc.Close()
	_, err = tar.NewReader(rc).Next()
	return err == nil
}
